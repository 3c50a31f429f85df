// fault_point (common/fault_injection.h) on its own: ihd_fault_point_probe, a child process that
// reaches the points "probe" and "probe-other" once per round and prints each finished round, is
// started with IHD_FAULT_KILL set or unset. Armed, SIGKILL ends it at exactly the N-th call of its
// point (the rounds before it are printed, that one is not); unarmed, armed for another point or
// for a call never reached, it runs to the end; armed with INT or TERM, that signal ends it
// instead; several comma-separated entries each count their own point; a malformed value is an
// error that says so.
#include <doctest/doctest.h>

#include <csignal>

#include "child_process.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

struct ProbeResult {
  int exit_code = 0;
  std::string output;
};

ProbeResult run_probe(int rounds, const std::string& fault_kill) {
  const std::filesystem::path log = scratch_dir("fault_point") / "probe.log";
  const int exit_code = wait_for(start_process(
      {IHD_FAULT_POINT_PROBE_BINARY, "probe", std::to_string(rounds)}, log, fault_kill));
  return {exit_code, read_bytes(log)};
}

}  // namespace

TEST_CASE("reliability: fault_point kills the process at the armed point's N-th call") {
  const ProbeResult third = run_probe(5, "probe:3");
  CHECK(third.exit_code == -SIGKILL);
  CHECK(third.output == "1\n2\n");
  const ProbeResult first = run_probe(5, "probe:1");
  CHECK(first.exit_code == -SIGKILL);
  CHECK(first.output == "");
  // Each point counts its own calls: the second "probe-other" comes before round 2 is printed.
  const ProbeResult other = run_probe(5, "probe-other:2");
  CHECK(other.exit_code == -SIGKILL);
  CHECK(other.output == "1\n");
}

TEST_CASE("reliability: fault_point raises SIGINT or SIGTERM when asked, and arms several points") {
  const ProbeResult interrupted = run_probe(5, "probe:2:INT");
  CHECK(interrupted.exit_code == -SIGINT);  // the probe has no handler: the signal ends it
  CHECK(interrupted.output == "1\n");
  const ProbeResult terminated = run_probe(5, "probe:4:TERM");
  CHECK(terminated.exit_code == -SIGTERM);
  CHECK(terminated.output == "1\n2\n3\n");
  // Two entries: the first reached ends the process.
  const ProbeResult both = run_probe(5, "probe:4:TERM,probe-other:3:KILL");
  CHECK(both.exit_code == -SIGKILL);
  CHECK(both.output == "1\n2\n");
}

TEST_CASE("reliability: fault_point does nothing when unarmed or armed for a call never reached") {
  for (const std::string fault_kill : {"", "elsewhere:1", "probe:6"}) {
    CAPTURE(fault_kill);
    const ProbeResult result = run_probe(5, fault_kill);
    CHECK(result.exit_code == 0);
    CHECK(result.output == "1\n2\n3\n4\n5\n");
  }
}

TEST_CASE("reliability: a malformed IHD_FAULT_KILL is an error naming the variable") {
  for (const std::string fault_kill :
       {"probe", "probe:", "probe:0", "probe:-2", ":3", "probe:3x", "probe:3:HUP", "probe:3,"}) {
    CAPTURE(fault_kill);
    const ProbeResult result = run_probe(5, fault_kill);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("IHD_FAULT_KILL='" + fault_kill + "'") != std::string::npos);
  }
}

}  // namespace ihd::reliability
