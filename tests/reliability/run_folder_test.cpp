// The run-folder rules (apps/pipeline/run_folder.h), tried with ihd_train as a user would: --out on
// an existing run is refused unless --resume or --overwrite; a folder of someone else's files is
// refused even with --overwrite and left byte for byte as it was; a second process on a locked
// folder is refused with the holder's pid; a resumed run clears the temporaries a killed writer
// left and nothing else (a user's "thesis.tmp.999999" stays).
#include "apps/pipeline/run_folder.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "child_process.h"
#include "reliability_util.h"
#include "tiny_run.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code;
  std::string output;
};

Run run(std::vector<std::string> arguments, const std::vector<std::string>& extra,
        const fs::path& log) {
  fs::remove(log);
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  const int exit_code = wait_for(start_process(arguments, log));
  return {exit_code, read_bytes(log)};
}

std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files[entry.path().string()] = read_bytes(entry.path());
  }
  return files;
}

}  // namespace

TEST_CASE("run folders: an existing run is refused unless --resume or --overwrite") {
  const fs::path dir = scratch_dir("run_folder_existing");
  const fs::path out = dir / "run";
  const fs::path log = dir / "log.txt";
  REQUIRE(run(tiny_train_arguments(dir, out), {}, log).exit_code == 0);
  write_bytes(out / "notes.txt", "my notes on this run");
  const auto before = snapshot(out);

  const Run again = run(tiny_train_arguments(dir, out), {}, log);
  CAPTURE(again.output);
  CHECK(again.exit_code == 1);
  CHECK(again.output.find(out.string() +
                          ": holds a training run already: continue it with --resume, replace "
                          "it with --overwrite, or choose another --out") != std::string::npos);
  CHECK(snapshot(out) == before);

  const Run replaced = run(tiny_train_arguments(dir, out), {"--overwrite", "--seed", "2"}, log);
  CAPTURE(replaced.output);
  CHECK(replaced.exit_code == 0);
  CHECK(read_bytes(out / "notes.txt") == "my notes on this run");
  CHECK(read_bytes(out / "config.json").find("\"seed\": \"2\"") != std::string::npos);

  const Run continued = run({IHD_TRAIN_BINARY, "--resume", out.string(), "--epochs", "2"}, {}, log);
  CAPTURE(continued.output);
  CHECK(continued.exit_code == 0);
  CHECK(continued.output.find("resuming " + out.string() + " at epoch 2") != std::string::npos);
}

TEST_CASE("run folders: a folder of someone else's files is refused and left as it was") {
  const fs::path dir = scratch_dir("run_folder_foreign");
  const fs::path out = dir / "thesis";
  fs::create_directories(out);
  for (const char* name : {"config.json", "report.html", "history.csv", "thesis.tmp.999999"}) {
    write_bytes(out / name, std::string("the user's own ") + name);
  }
  const auto before = snapshot(out);
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--overwrite"}}) {
    const Run refused = run(tiny_train_arguments(dir, out), extra, dir / "log.txt");
    CAPTURE(refused.output);
    CHECK(refused.exit_code == 1);
    CHECK(refused.output.find(out.string() + ": exists and holds files that are not ihd's") !=
          std::string::npos);
    CHECK(snapshot(out) == before);
    CHECK_FALSE(fs::exists(out / pipeline::kLockFileName));
  }
  const Run resume = run({IHD_TRAIN_BINARY, "--resume", out.string()}, {}, dir / "log.txt");
  CHECK(resume.exit_code == 1);
  CHECK(resume.output.find(
            out.string() +
            ": not a run folder (no config.json of format ihd-run-1): nothing to resume") !=
        std::string::npos);
  CHECK(snapshot(out) == before);
}

TEST_CASE("run folders: a second process on a locked run folder is refused with the holder's pid") {
  const fs::path dir = scratch_dir("run_folder_locked");
  const fs::path out = dir / "run";
  REQUIRE(run(tiny_train_arguments(dir, out), {}, dir / "log.txt").exit_code == 0);
  const auto before = snapshot(out);
  {
    const pipeline::FolderLock held(out);  // this process stands for a run still writing there
    const Run second =
        run({IHD_TRAIN_BINARY, "--resume", out.string(), "--epochs", "2"}, {}, dir / "log.txt");
    CAPTURE(second.output);
    CHECK(second.exit_code == 1);
    CHECK(second.output.find(out.string() + ": in use by another ihd process (pid " +
                             std::to_string(::getpid()) + ")") != std::string::npos);
    auto after = snapshot(out);
    after.erase((out / pipeline::kLockFileName).string());
    auto expected = before;
    expected.erase((out / pipeline::kLockFileName).string());
    CHECK(after == expected);
  }
  // Released: the same command now runs.
  CHECK(run({IHD_TRAIN_BINARY, "--resume", out.string(), "--epochs", "2"}, {}, dir / "log.txt")
            .exit_code == 0);
}

TEST_CASE("run folders: a resumed run clears a killed writer's temporaries and nothing else") {
  const fs::path dir = scratch_dir("run_folder_temporaries");
  const fs::path out = dir / "run";
  REQUIRE(run(tiny_train_arguments(dir, out), {}, dir / "log.txt").exit_code == 0);
  const pid_t finished = ::fork();  // a process ID that is certainly no longer running
  REQUIRE(finished >= 0);
  if (finished == 0) ::_exit(0);
  REQUIRE(wait_for(finished) == 0);
  const std::string dead = std::to_string(finished);
  const fs::path abandoned = out / ("resume.safetensors.ihd-tmp." + dead + ".0");
  write_bytes(abandoned, "half a checkpoint");
  write_bytes(out / "thesis.tmp.999999", "a user's file");
  write_bytes(out / ("notes.tmp." + dead), "another user's file");
  const Run resumed =
      run({IHD_TRAIN_BINARY, "--resume", out.string(), "--epochs", "2"}, {}, dir / "log.txt");
  CAPTURE(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK_FALSE(fs::exists(abandoned));
  CHECK(resumed.output.find("removed 1 temporary file(s) left by an interrupted run") !=
        std::string::npos);
  CHECK(read_bytes(out / "thesis.tmp.999999") == "a user's file");
  CHECK(read_bytes(out / ("notes.tmp." + dead)) == "another user's file");
}

}  // namespace ihd::reliability
