// Fault injection: ihd_train, checkpointing every step, is SIGKILLed again and again at its fault
// points (common/fault_injection.h) and resumed with --resume each time: in data preparation,
// right after an optimizer step, in validation and halfway through writing a checkpoint. Each
// kill is armed through IHD_FAULT_KILL at a call number drawn (seeded) within what the rest of the
// run certainly reaches, reckoned from the last complete checkpoint, so every run is killed and
// the test needs no clock: it does the same on a machine of any speed and load. After every kill
// resume.safetensors still parses (an interrupted write never replaces the last good checkpoint)
// and only the interrupted write left a temporary; the run finished this way ends with a
// last.safetensors byte-identical to an uninterrupted run's with the same seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/run_folder.h"
#include "child_process.h"
#include "common/atomic_file.h"
#include "common/random.h"
#include "engine/safetensors.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

constexpr int kEpochs = 3;

// The tiny configuration of the pipeline's resume test.
std::vector<std::string> tiny_run_flags(const fs::path& out, const fs::path& cache) {
  return {"--synth-patients",
          "12",
          "--synth-slices",
          "4",
          "--arch",
          "resnet18",
          "--width",
          "0.125",
          "--image-size",
          "64",
          "--batch",
          "8",
          "--epochs",
          std::to_string(kEpochs),
          "--threads",
          "2",
          "--checkpoint-steps",
          "1",
          "--data-cache",
          cache.string(),
          "--out",
          out.string()};
}

// Where a run folder's training stands: its last complete checkpoint, or the start when it has
// none yet.
struct RunPosition {
  bool checkpointed = false;
  long global_step = 0;  // optimizer steps taken
  int next_epoch = 1;    // the epoch whose training (or validation) is not finished
};

// Reads run_dir's resume.safetensors, which must parse and be an ihd resume checkpoint.
RunPosition position_of(const fs::path& run_dir) {
  const fs::path file = run_dir / pipeline::kResumeCheckpointName;
  if (!fs::exists(file)) return {};
  const SafetensorsFile checkpoint = read_safetensors(file.string());
  REQUIRE(checkpoint.metadata.at("format") == "ihd-resume-1");
  return {.checkpointed = true,
          .global_step = std::stol(checkpoint.metadata.at("global_step")),
          .next_epoch = std::stoi(checkpoint.metadata.at("next_epoch"))};
}

// How often the rest of a run from `position` (of `total_steps` steps) certainly reaches `point`:
// every step left reaches "step" and writes resume.safetensors; every epoch left runs a validation
// pass (one batch at least) and writes last.safetensors and resume.safetensors; a run from scratch
// whose data cache does not exist yet reaches "data" once, when it has synthesised the set.
long certain_calls(const std::string& point, const RunPosition& position, long total_steps,
                   bool data_cache_exists) {
  const long steps_left = total_steps - position.global_step;
  const long epochs_left = kEpochs - position.next_epoch + 1;
  if (point == "step") return steps_left;
  if (point == "validation") return epochs_left;
  if (point == "checkpoint-write") return steps_left + 2 * epochs_left;
  return position.checkpointed || data_cache_exists ? 0 : 1;  // "data"
}

// The kills to make, in order: one in data preparation (which only a first run reaches), one
// right after a step (while steps are left), then two mid-checkpoint-write, one in validation and
// one more of any of these (points every unfinished run reaches), in a seeded order.
std::vector<std::string> kill_plan(Random& random) {
  const std::vector<std::string> later_points = {"checkpoint-write", "step", "validation"};
  std::vector<std::string> later = {"checkpoint-write", "checkpoint-write", "validation",
                                    later_points[random.below(later_points.size())]};
  for (std::size_t i = later.size() - 1; i > 0; --i) {
    std::swap(later[i], later[random.below(i + 1)]);
  }
  std::vector<std::string> plan = {"data", "step"};
  plan.insert(plan.end(), later.begin(), later.end());
  return plan;
}

int temporaries_in(const fs::path& folder) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    count += is_ihd_temporary_name(entry.path().filename().string(), nullptr);
  }
  return count;
}

// Runs ihd_train with `flags` to its end, with IHD_FAULT_KILL=`fault_kill` (unset when empty),
// and requires the exit code `expected` (-SIGKILL: killed), showing the run's output otherwise.
void run_ihd_train(const std::vector<std::string>& flags, const fs::path& log,
                   const std::string& fault_kill, int expected) {
  std::vector<std::string> arguments{IHD_TRAIN_BINARY};
  arguments.insert(arguments.end(), flags.begin(), flags.end());
  const int exit_code = wait_for(start_process(arguments, log, fault_kill));
  INFO("ihd_train's output:\n", read_bytes(log));
  REQUIRE(exit_code == expected);
}

}  // namespace

TEST_CASE("reliability: SIGKILLed at fault points and resumed, training ends bit-identical") {
  const fs::path dir = scratch_dir("fault_injection");
  const fs::path whole = dir / "whole", killed = dir / "killed", killed_data = dir / "killed_data";
  const fs::path log = dir / "killed.log";

  run_ihd_train(tiny_run_flags(whole, dir / "whole_data"), dir / "whole.log", "", 0);
  const RunPosition end = position_of(whole);
  REQUIRE(end.next_epoch == kEpochs + 1);
  const long total_steps = end.global_step;

  // The flags of a run from where `killed` stands: a new run, or --resume once the run folder
  // holds the run (from its checkpoint, or from the start when it has none yet).
  auto flags_from = [&] {
    return fs::exists(killed / pipeline::kRunConfigName)
               ? std::vector<std::string>{"--resume", killed.string()}
               : tiny_run_flags(killed, killed_data);
  };

  Random random(8);
  std::vector<std::string> kills;
  for (std::string point : kill_plan(random)) {
    const RunPosition position = position_of(killed);
    long calls = certain_calls(point, position, total_steps, fs::exists(killed_data));
    if (calls == 0) {  // no step left, only the last validation: kill in a write instead
      point = "checkpoint-write";
      calls = certain_calls(point, position, total_steps, fs::exists(killed_data));
    }
    const std::string fault_kill =
        point + ":" + std::to_string(1 + random.below(static_cast<std::uint64_t>(calls)));
    CAPTURE(fault_kill);
    run_ihd_train(flags_from(), log, fault_kill, -SIGKILL);
    kills.push_back(fault_kill);
    position_of(killed);  // still parses
    CHECK(temporaries_in(killed) == (point == "checkpoint-write" ? 1 : 0));
  }
  run_ihd_train(flags_from(), log, "", 0);

  std::string kill_list;
  auto kills_at = [&](const std::string& point) {
    return std::count_if(kills.begin(), kills.end(),
                         [&](const std::string& kill) { return kill.starts_with(point + ":"); });
  };
  for (const std::string& kill : kills) kill_list += (kill_list.empty() ? "" : ", ") + kill;
  MESSAGE(kills.size(), " kills (point:call): ", kill_list);
  CHECK(kills_at("data") >= 1);
  CHECK(kills_at("step") >= 1);
  CHECK(kills_at("validation") >= 1);
  CHECK(kills_at("checkpoint-write") >= 2);
  CHECK(read_bytes(killed / pipeline::kLastCheckpointName) ==
        read_bytes(whole / pipeline::kLastCheckpointName));
  // The temporaries the kills left are gone: each run clears its folder's abandoned ones.
  CHECK(temporaries_in(killed) == 0);
}

}  // namespace ihd::reliability
