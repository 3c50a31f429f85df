// What `ihd_train --resume DIR` answers when there is nothing plain to continue, through the tool:
// a finished run ("nothing to resume; extend it with --epochs M"), a run killed before its first
// checkpoint (started over from its saved config.json, saying so, and ending as an uninterrupted
// run), a folder that is not a run or does not exist (exit 1), and a flag that may not change on
// resume (refused by name as a bad command line, exit 2, the run left untouched). The flags that
// may change are listed in --help.
#include <doctest/doctest.h>

#include <csignal>

#include "apps/pipeline/checkpoint.h"
#include "cli_run.h"

namespace ihd::cli {

TEST_CASE("--resume of a finished run says so, and a flag that may not change is refused by name") {
  const fs::path dir = scratch_dir("resume_answers");
  const fs::path log = dir / "log.txt", run_dir = dir / "run";
  REQUIRE(run_tool(tiny_train(run_dir, dir / "data"), log).exit_code == 0);
  const auto before = snapshot(run_dir);

  const ToolRun finished = run_tool({tool("ihd_train"), "--resume", run_dir.string()}, log);
  CAPTURE(finished.output);
  CHECK(finished.exit_code == 0);
  CHECK(finished.output ==
        "nothing to resume: the run finished its 3 epochs; extend it with --epochs M (M > 3)\n");
  const ToolRun same_epochs =
      run_tool({tool("ihd_train"), "--resume", run_dir.string(), "--epochs", "3"}, log);
  CHECK(same_epochs.exit_code == 0);
  CHECK(contains(same_epochs.output, "nothing to resume"));

  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--lr", "0.1"}, "--lr cannot change on --resume: the run was trained with 0.0001"},
      {{"--arch", "resnet50"},
       "--arch cannot change on --resume: the run was trained with resnet18"},
      {{"--no-augment"}, "--augment cannot change on --resume: the run was trained with true"},
      {{"--out", (dir / "elsewhere").string()},
       "--out cannot change on --resume: the run is in " + run_dir.string()},
      {{"--overwrite"}, "--overwrite"},
  };
  for (const auto& [flags, message] : refused) {
    CAPTURE(message);
    std::vector<std::string> arguments = {tool("ihd_train"), "--resume", run_dir.string()};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    const ToolRun run = run_tool(arguments, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.output, message));
    CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  }
  // A flag given with the run's own value is no change.
  CHECK(run_tool({tool("ihd_train"), "--resume", run_dir.string(), "--arch", "resnet18"}, log)
            .exit_code == 0);
  CHECK(snapshot(run_dir) == before);

  const ToolRun help = run_tool({tool("ihd_train"), "--help"}, log);
  CHECK(contains(help.output,
                 "--resume keeps the run's settings: only --epochs, --sequence-epochs,"));
}

TEST_CASE("--resume of a folder that is not a run, or of none, is answered in one line") {
  const fs::path dir = scratch_dir("resume_not_a_run");
  const fs::path log = dir / "log.txt";
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "notes");
  reliability::write_bytes(dir / "notes" / "config.json", "{\"format\": \"something-else\"}\n");
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {dir / "empty", ": not a run folder (no config.json of format ihd-run-1): nothing to resume"},
      {dir / "notes", ": not a run folder (no config.json of format ihd-run-1): nothing to resume"},
      {dir / "missing", ": no such run folder: nothing to resume"},
  };
  for (const auto& [folder, message] : cases) {
    CAPTURE(folder);
    const ToolRun run = run_tool({tool("ihd_train"), "--resume", folder.string()}, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, folder.string() + message));
    CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  }
  CHECK_FALSE(fs::exists(dir / "missing"));
}

TEST_CASE("--resume of a run killed before its first checkpoint starts it over from its config") {
  const fs::path dir = scratch_dir("resume_no_checkpoint");
  const fs::path data = dir / "data", log = dir / "log.txt";
  const fs::path whole = dir / "whole", killed = dir / "killed";
  REQUIRE(run_tool(tiny_train(whole, data), log).exit_code == 0);
  const ToolRun run = run_tool(tiny_train(killed, data), log, "step:2");
  CHECK(run.exit_code == -SIGKILL);
  REQUIRE(fs::exists(killed / "config.json"));
  REQUIRE_FALSE(fs::exists(killed / pipeline::kResumeCheckpointName));

  const ToolRun resumed = run_tool({tool("ihd_train"), "--resume", killed.string()}, log);
  CAPTURE(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming " + killed.string() +
                                     " from the start with its saved config.json: it was stopped "
                                     "before its first checkpoint"));
  CHECK(read_bytes(killed / pipeline::kLastCheckpointName) ==
        read_bytes(whole / pipeline::kLastCheckpointName));
}

}  // namespace ihd::cli
