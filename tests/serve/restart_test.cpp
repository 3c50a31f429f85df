// A node killed (SIGKILL, through the fault points of common/fault_injection.h, so the moment is
// chosen by progress and not by a clock) in the middle of receiving a study: after a restart on
// the same spool every instance storescu saw acknowledged is there and processed, the instance
// being received when it died is not (it was never acknowledged), and the study is finished from
// the spool. Killed between the commit and the response, the instance is kept (and processed)
// but storescu does not count it as stored: the node claims nothing it did not acknowledge.
#include <doctest/doctest.h>

#include "common/delimited.h"
#include "serve_test_util.h"

namespace ihd::serve_test {
namespace {

// The files storescu -v reports as stored: each "Sending file" followed by a success response.
std::set<std::string> acknowledged_files(const std::string& output) {
  std::set<std::string> files;
  std::string current;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("I: Sending file: ")) current = line.substr(17);
    if (contains(line, "Received Store Response (Success)")) files.insert(current);
  }
  return files;
}

std::set<std::string> stems(const std::set<std::string>& paths) {
  std::set<std::string> names;
  for (const std::string& path : paths) names.insert(fs::path(path).stem().string());
  return names;
}

// The worklist's slice count of its only study (-1 when there is no such row).
int worklist_slices(const fs::path& out) {
  if (!fs::exists(out / "worklist.csv")) return -1;
  RecordReader reader(out / "worklist.csv", TextFormat::csv, ErrorKind::bad_csv);
  std::vector<std::string> fields;
  int slices = -1;
  while (reader.next(fields)) {
    if (fields[0] != "rank") slices = std::stoi(fields[6]);
  }
  return slices;
}

// Kills the node at the N-th pass of `point`, restarts it and checks the spool and the results.
// Returns the stems of the instances in the spool.
std::set<std::string> kill_and_restart(const std::string& name, const std::string& point,
                                       int instance, const std::vector<fs::path>& files,
                                       std::set<std::string>* acknowledged) {
  const fs::path folder = scratch_dir(name);
  // A long idle time: the study cannot be finished before the kill.
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE", "--study-idle-seconds=600"},
            point + ":" + std::to_string(instance));
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {});
  for (const fs::path& file : files) arguments.push_back(file.string());
  const PeerRun sent = run_peer(arguments, folder / "storescu.log");
  CAPTURE(sent.output);
  CHECK(sent.exit_code != 0);  // the node went away in the middle
  CHECK(node.wait_for_exit() == -SIGKILL);
  *acknowledged = stems(acknowledged_files(sent.output));
  CHECK(acknowledged->size() == static_cast<std::size_t>(instance - 1));

  node.start("", {"--study-idle-seconds=0.5"});  // the same spool
  CAPTURE(read_bytes(node.log()));
  REQUIRE(eventually([&] {
    return status_value(node, "studies_done") >= 1 &&
           read_status(node.status_file()).count("studies_pending") == 1 &&
           status_value(node, "studies_pending") == 0;
  }));
  CHECK(contains(read_bytes(node.log()), "1 studies in the spool without results"));
  CHECK(fs::is_empty(node.spool() / ".incoming"));
  std::set<std::string> spooled;
  for (const std::string& path : spooled_instances(node.spool())) {
    spooled.insert(fs::path(path).stem().string());
  }
  CHECK(worklist_slices(node.out()) == static_cast<int>(spooled.size()));
  CHECK(node.kill(SIGTERM) == 0);
  return spooled;
}

}  // namespace

TEST_CASE("ihd_serve killed while receiving keeps every acknowledged instance, and only those") {
  const fs::path folder = scratch_dir("restart_files");
  const std::vector<fs::path> files = synthetic_studies(folder / "synth", 1, 10);
  std::set<std::string> acknowledged;
  // Killed with the 7th instance in .incoming: 6 acknowledged, 6 kept, processed after restart.
  const std::set<std::string> spooled =
      kill_and_restart("restart_received", "serve-received", 7, files, &acknowledged);
  CHECK(spooled == acknowledged);
}

TEST_CASE("ihd_serve killed between commit and response keeps the instance, unacknowledged") {
  const fs::path folder = scratch_dir("restart_files_2");
  const std::vector<fs::path> files = synthetic_studies(folder / "synth", 1, 10);
  std::set<std::string> acknowledged;
  const std::set<std::string> spooled =
      kill_and_restart("restart_decided", "serve-decided", 5, files, &acknowledged);
  CHECK(acknowledged.size() == 4);
  CHECK(spooled.size() == 5);
  CHECK(std::includes(spooled.begin(), spooled.end(), acknowledged.begin(), acknowledged.end()));
}

}  // namespace ihd::serve_test
