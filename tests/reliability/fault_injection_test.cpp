// Fault injection: ihd_train, checkpointing every step, is SIGKILLed again and again at seeded
// random points (at a random time, which lands mid-epoch, in data preparation or in validation;
// and the moment a resume.safetensors.tmp file appears, i.e. mid-checkpoint write), then resumed
// with --resume. After every kill resume.safetensors must still parse (an interrupted write never
// replaces the last good checkpoint), and the run finished this way must end with a
// last.safetensors byte-identical to an uninterrupted run with the same seed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <vector>

#include "engine/safetensors.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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
          "3",
          "--threads",
          "2",
          "--checkpoint-steps",
          "1",
          "--data-cache",
          cache.string(),
          "--out",
          out.string()};
}

pid_t start_ihd_train(const std::vector<std::string>& flags, const fs::path& log) {
  std::vector<std::string> arguments{IHD_TRAIN_BINARY};
  arguments.insert(arguments.end(), flags.begin(), flags.end());
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return child;
}

// The exit code, or -signal when a signal ended the child.
int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

int wait_for(pid_t child) {
  int status = 0;
  ::waitpid(child, &status, 0);
  return exit_code(status);
}

// Whether `child` is writing its checkpoint: the safetensors writer's temporary file carries the
// writer's process ID.
bool checkpoint_write_in_progress(const fs::path& run_dir, pid_t child) {
  return fs::exists(run_dir / ("resume.safetensors.tmp." + std::to_string(child)));
}

// Waits for the child, killing it after `delay`, or as soon as a checkpoint write starts when
// `mid_write`; returns its exit code (-SIGKILL when killed).
int run_until_killed(pid_t child, const fs::path& run_dir, Clock::duration delay, bool mid_write) {
  const auto deadline = Clock::now() + delay;
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (mid_write ? checkpoint_write_in_progress(run_dir, child) : Clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(mid_write ? 100 : 1000));
  }
  return exit_code(status);
}

}  // namespace

TEST_CASE("reliability: SIGKILLed at random points and resumed, training ends bit-identical") {
  const fs::path dir = scratch_dir("fault_injection");
  const fs::path whole = dir / "whole", killed = dir / "killed";

  const auto whole_start = Clock::now();
  REQUIRE(wait_for(start_ihd_train(tiny_run_flags(whole, dir / "whole_data"), dir / "whole.log")) ==
          0);
  const auto whole_duration = Clock::now() - whole_start;

  std::mt19937 random(8);
  std::uniform_real_distribution<double> fraction(0.05, 0.9);
  const fs::path resume_file = killed / "resume.safetensors";
  // Kills in the current series of runs (since the last fresh start in `killed`). The first eight
  // runs of a series are killed; a run that outpaces its kill (its random time was longer than the
  // run needed) ends the series, and if that came before 4 kills, 2 of them mid-write (as on a
  // loaded machine), the series starts again from scratch.
  int kills = 0, mid_write_kills = 0, series_attempt = 0, fresh_starts = 0;
  bool finished = false;
  for (int attempt = 0; attempt < 30 && !finished; ++attempt) {
    const bool enough_kills = kills >= 4 && mid_write_kills >= 2;
    const bool kill_this_run = series_attempt < 8 || !enough_kills;
    ++series_attempt;
    const bool can_resume = fs::exists(resume_file);
    const std::vector<std::string> flags =
        can_resume ? std::vector<std::string>{"--resume", killed.string()}
                   : tiny_run_flags(killed, dir / "killed_data");
    const pid_t child = start_ihd_train(flags, dir / "killed.log");
    // Alternate: a kill at a random time, then one in the middle of a checkpoint write.
    const bool mid_write = attempt % 2 == 1;
    const auto delay =
        std::chrono::duration_cast<Clock::duration>(whole_duration * fraction(random));
    const int exit_code =
        kill_this_run ? run_until_killed(child, killed, delay, mid_write) : wait_for(child);
    if (exit_code == -SIGKILL) {
      ++kills;
      mid_write_kills += mid_write;
      if (fs::exists(resume_file)) {
        CAPTURE(attempt);
        const SafetensorsFile checkpoint = read_safetensors(resume_file.string());
        CHECK(checkpoint.metadata.at("format") == "ihd-resume-1");
      }
      continue;
    }
    CAPTURE(read_bytes(dir / "killed.log"));
    REQUIRE(exit_code == 0);
    if (enough_kills) {
      finished = true;
    } else {
      fs::remove_all(killed);
      kills = mid_write_kills = series_attempt = 0;
      ++fresh_starts;
    }
  }
  REQUIRE(finished);
  MESSAGE(kills, " kills, ", mid_write_kills, " of them mid-checkpoint-write; ", fresh_starts,
          " series started again after a run outpaced its kill");
  CHECK(kills >= 4);
  CHECK(mid_write_kills >= 2);
  CHECK(read_bytes(killed / "last.safetensors") == read_bytes(whole / "last.safetensors"));
  // The temporaries of the writes that kills interrupted are gone: each run clears its folder's.
  for (const auto& entry : fs::directory_iterator(killed)) {
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  }
}

}  // namespace ihd::reliability
