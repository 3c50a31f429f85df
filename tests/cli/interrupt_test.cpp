// ihd_train stopped by a signal and resumed, through the tool: the first SIGINT or SIGTERM
// finishes the step in progress, writes the resume checkpoint, prints where it stopped and the
// command that resumes, and exits 130 (143 for SIGTERM); a second signal exits at once. Each
// stopped run, resumed with that command, ends with weights, predictions and history (less its
// wall-clock columns) byte-identical to an uninterrupted run's. The signals come from the fault
// points (IHD_FAULT_KILL="step:N:INT"), raised by the process on itself at its N-th optimiser
// step, so the test needs no clock and does the same on a machine of any speed or load. A
// two-stage run stopped in its slice stage goes on through both stages when resumed. On a
// pseudo-terminal (common/terminal_child.h), the stop notice starts on a cleared line (the
// progress frame and an echoed "^C" erased) and no progress frame is drawn after it.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <sstream>

#include "cli_run.h"
#include "common/terminal_child.h"

namespace ihd::cli {

TEST_CASE("SIGINT or SIGTERM stops after the step with the resume command, resumed identical") {
  const fs::path dir = scratch_dir("interrupt");
  const fs::path data = dir / "data", log = dir / "log.txt";
  const fs::path whole = dir / "whole";
  REQUIRE(run_tool(tiny_train(whole, data), log).exit_code == 0);

  struct Stop {
    std::string name;
    std::string fault_kill;
    int exit_code;
    std::string where;  // what the stopped run prints
  };
  // Seven steps an epoch: step 3 is inside the first epoch, step 7 its last (the epoch ends,
  // validation and all, before the run stops), step 12 inside the second.
  const std::vector<Stop> stops = {
      {"int_mid_epoch", "step:3:INT", 130, "stopped at epoch 1 step 3; "},
      {"term_epoch_end", "step:7:TERM", 143, "stopped at epoch 1 step 7; "},
      {"int_second_epoch", "step:12:INT", 130, "stopped at epoch 2 step 12; "},
  };
  for (const Stop& stop : stops) {
    CAPTURE(stop.name);
    const fs::path run_dir = dir / stop.name;
    const ToolRun stopped = run_tool(tiny_train(run_dir, data), log, stop.fault_kill);
    CAPTURE(stopped.output);
    CHECK(stopped.exit_code == stop.exit_code);
    CHECK(contains(stopped.output, "stopping after this step"));
    CHECK(contains(stopped.output, "ihd_train: " + stop.where + "resume with: ihd_train --resume " +
                                       run_dir.string() + "\n"));
    const ToolRun resumed = run_tool({tool("ihd_train"), "--resume", run_dir.string()}, log);
    CAPTURE(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    CHECK(contains(resumed.output, "resuming " + run_dir.string() + " at epoch "));
    check_same_run(whole, run_dir);
  }
}

TEST_CASE("on a terminal the stop notice starts on a cleared line, no progress drawn after it") {
  const fs::path dir = scratch_dir("interrupt_terminal");
  const fs::path run_dir = dir / "run";
  ::setenv("IHD_FAULT_KILL", "step:3:INT", 1);
  const ChildOutput child = run_on_terminal(80, tiny_train(run_dir, dir / "data"));
  ::unsetenv("IHD_FAULT_KILL");
  INFO("the terminal received:\n", child.text);
  CHECK(child.exit_code == 130);
  const std::string notice = "stopping after this step";
  const auto at = child.text.find(notice);
  REQUIRE(at != std::string::npos);
  // The frame of epoch 1 was on the line: the notice erases it and starts at its beginning.
  CHECK(child.text.rfind("\repoch 1/3 ", at) != std::string::npos);
  CHECK(child.text.substr(at - 4, 4) == "\r\x1b[K");
  // After it, whole lines only (the terminal's "\r\n"): no frame redrawn, no line erased.
  const std::string after = child.text.substr(at);
  CHECK(after.find("\x1b[K") == std::string::npos);
  for (auto cr = after.find('\r'); cr != std::string::npos; cr = after.find('\r', cr + 1)) {
    CHECK(after.compare(cr, 2, "\r\n") == 0);
  }
  CHECK(after.find("epoch 1/3") == std::string::npos);
  CHECK(
      contains(after, "\nihd_train: stopped at epoch 1 step 3; resume with: ihd_train --resume "));
}

TEST_CASE("a second signal stops at once, and the run resumes from its last checkpoint identical") {
  const fs::path dir = scratch_dir("interrupt_twice");
  const fs::path data = dir / "data", log = dir / "log.txt";
  const fs::path whole = dir / "whole", twice = dir / "twice";
  REQUIRE(run_tool(tiny_train(whole, data), log).exit_code == 0);

  // Through the first epoch, then two SIGTERMs at the tenth step: the second ends the process
  // inside the step, so the epoch-1 checkpoint is the last.
  const ToolRun stopped = run_tool(tiny_train(twice, data), log, "step:10:TERM,step:10:TERM");
  CAPTURE(stopped.output);
  CHECK(stopped.exit_code == 143);
  CHECK(contains(stopped.output,
                 "stopped at once: resume from the last checkpoint with: "
                 "ihd_train --resume " +
                     twice.string()));
  const auto position = pipeline::read_checkpoint_position(twice);
  REQUIRE(position);
  CHECK(position->next_epoch == 2);
  CHECK(position->next_batch == 0);

  const ToolRun resumed = run_tool({tool("ihd_train"), "--resume", twice.string()}, log);
  CAPTURE(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming " + twice.string() + " at epoch 2, batch 0 (step 7)"));
  check_same_run(whole, twice);
}

TEST_CASE("a two-stage run stopped in its slice stage resumes through both stages identical") {
  const fs::path dir = scratch_dir("interrupt_two_stage");
  const fs::path data = dir / "data", log = dir / "log.txt";
  const fs::path whole = dir / "whole", stopped_dir = dir / "stopped";
  auto two_stage = [&](const fs::path& out) {
    std::vector<std::string> arguments = tiny_train(out, data);
    arguments.insert(arguments.end(), {"--sequence-stage", "--sequence-epochs=2"});
    return arguments;
  };
  REQUIRE(run_tool(two_stage(whole), log).exit_code == 0);
  const ToolRun stopped = run_tool(two_stage(stopped_dir), log, "step:10:INT");
  CAPTURE(stopped.output);
  CHECK(stopped.exit_code == 130);
  CHECK(contains(stopped.output, "stopped at epoch 2 step 10; resume with: ihd_train --resume " +
                                     stopped_dir.string()));
  CHECK_FALSE(fs::exists(stopped_dir / "sequence"));
  const ToolRun resumed = run_tool({tool("ihd_train"), "--resume", stopped_dir.string()}, log);
  CAPTURE(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  check_same_run(whole, stopped_dir);
  CHECK(read_bytes(stopped_dir / "sequence" / pipeline::kLastCheckpointName) ==
        read_bytes(whole / "sequence" / pipeline::kLastCheckpointName));
}

}  // namespace ihd::cli
