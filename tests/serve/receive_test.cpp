// The node's receiving side against DCMTK's own peers (echoscu, storescu) on loopback: C-ECHO is
// answered; a calling AE title not on --allow-ae and a wrong called AE title are rejected at
// association; a synthetic study lands in the spool by study and series with the UIDs and pixel
// data pydicom reads from the sent files; the same instances sent again are duplicates, stored
// once; hostile instances are refused one by one with their reason in the response's Error
// Comment while the association and the node go on; a non-CT image is ignored and counted.
#include <doctest/doctest.h>

#include "hostile_instances.h"
#include "serve_test_util.h"

namespace ihd::serve_test {
namespace {

// "study/series/sop.dcm" of each file as pydicom reads it.
std::set<std::string> pydicom_spool_paths(const std::vector<fs::path>& files, const fs::path& log) {
  std::vector<std::string> arguments = {
      "/usr/bin/python3", "-c",
      "import sys, pydicom\n"
      "for name in sys.argv[1:]:\n"
      "    d = pydicom.dcmread(name)\n"
      "    print(f'PATH {d.StudyInstanceUID}/{d.SeriesInstanceUID}/{d.SOPInstanceUID}.dcm')\n"};
  for (const fs::path& file : files) arguments.push_back(file.string());
  const PeerRun run = run_peer(arguments, log);
  REQUIRE(run.exit_code == 0);
  std::set<std::string> paths;
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("PATH ")) paths.insert(line.substr(5));
  }
  return paths;
}

// Whether pydicom reads the same pixel data and SOP instance UID from each pair of files.
bool pydicom_same_instances(const std::vector<std::pair<fs::path, fs::path>>& pairs,
                            const fs::path& log) {
  std::vector<std::string> arguments = {"/usr/bin/python3", "-c",
                                        "import sys, pydicom\n"
                                        "names = sys.argv[1:]\n"
                                        "for sent, kept in zip(names[0::2], names[1::2]):\n"
                                        "    a, b = pydicom.dcmread(sent), pydicom.dcmread(kept)\n"
                                        "    assert a.SOPInstanceUID == b.SOPInstanceUID, sent\n"
                                        "    assert a.PixelData == b.PixelData, sent\n"
                                        "print('same')\n"};
  for (const auto& [sent, kept] : pairs) {
    arguments.push_back(sent.string());
    arguments.push_back(kept.string());
  }
  const PeerRun run = run_peer(arguments, log);
  CAPTURE(run.output);
  return run.exit_code == 0 && contains(run.output, "same");
}

}  // namespace

TEST_CASE("ihd_serve answers C-ECHO and rejects callers not on --allow-ae at association") {
  const fs::path folder = scratch_dir("echo");
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE,VIEWER"});
  const std::string port = std::to_string(node.port());
  const PeerRun allowed = run_peer(
      {IHD_ECHOSCU, "-aet", "VIEWER", "-aec", "IHD_SERVE", "127.0.0.1", port}, folder / "echo.log");
  CAPTURE(allowed.output);
  CHECK(allowed.exit_code == 0);

  const PeerRun stranger =
      run_peer({IHD_ECHOSCU, "-aet", "STRANGER", "-aec", "IHD_SERVE", "127.0.0.1", port},
               folder / "stranger.log");
  CAPTURE(stranger.output);
  CHECK(stranger.exit_code != 0);
  CHECK(contains(stranger.output, "Calling AE Title Not Recognized"));

  const PeerRun wrong_called = run_peer(
      {IHD_ECHOSCU, "-aet", "VIEWER", "-aec", "SOMEONE", "127.0.0.1", port}, folder / "called.log");
  CAPTURE(wrong_called.output);
  CHECK(wrong_called.exit_code != 0);
  CHECK(contains(wrong_called.output, "Called AE Title Not Recognized"));

  REQUIRE(status_reaches(node, "associations_rejected.called AE title not the node's", 1));
  CHECK(status_value(node, "echoes") == 1);
  CHECK(status_value(node, "associations_accepted") == 1);
  CHECK(status_value(node, "associations_rejected.calling AE title not allowed") == 1);
  CHECK(node.kill(SIGTERM) == 0);
}

TEST_CASE("ihd_serve keeps a study sent by storescu in its spool by study and series, once") {
  const fs::path folder = scratch_dir("study");
  const std::vector<fs::path> files = synthetic_studies(folder / "synth", 2, 4);
  REQUIRE(files.size() == 8);
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE"});
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {});
  for (const fs::path& file : files) arguments.push_back(file.string());

  const PeerRun sent = run_peer(arguments, folder / "storescu.log");
  CAPTURE(sent.output);
  CHECK(sent.exit_code == 0);
  CHECK(count_of(sent.output, "Received Store Response (Success)") == 8);
  REQUIRE(status_reaches(node, "stored", 8));
  const std::set<std::string> expected = pydicom_spool_paths(files, folder / "pydicom.log");
  CHECK(expected.size() == 8);
  CHECK(spooled_instances(node.spool()) == expected);
  std::vector<std::pair<fs::path, fs::path>> pairs;
  for (const fs::path& file : files) {
    const std::set<std::string> one = pydicom_spool_paths({file}, folder / "one.log");
    pairs.emplace_back(file, node.spool() / *one.begin());
  }
  CHECK(pydicom_same_instances(pairs, folder / "same.log"));

  // Sent again: acknowledged (the sender may delete them), kept once.
  const PeerRun again = run_peer(arguments, folder / "again.log");
  CHECK(count_of(again.output, "Received Store Response (Success)") == 8);
  REQUIRE(status_reaches(node, "duplicates", 8));
  CHECK(status_value(node, "stored") == 8);
  CHECK(status_value(node, "received") == 16);
  CHECK(spooled_instances(node.spool()) == expected);
  CHECK(node.kill(SIGTERM) == 0);
}

TEST_CASE("ihd_serve refuses hostile instances one by one with the reason, and goes on") {
  const fs::path folder = scratch_dir("hostile");
  const std::vector<fs::path> valid = synthetic_studies(folder / "synth", 1, 2);
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE"});
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {"-d"});
  arguments.push_back(valid[0].string());
  std::map<std::string, int> expected_refusals;
  for (const HostileInstance& instance : hostile_instances("1.2.826.0.1.3680043.8.498.77.")) {
    const fs::path file = folder / (instance.name + ".dcm");
    write_bytes(file, instance.bytes);
    arguments.push_back(file.string());
    if (!instance.reason.empty()) ++expected_refusals[instance.reason];
  }
  arguments.push_back(valid[1].string());

  const PeerRun sent = run_peer(arguments, folder / "storescu.log");
  CAPTURE(sent.output);
  // One association for all: the valid instances before and after the hostile ones are stored.
  CHECK(count_of(sent.output, "Association Accepted") == 1);
  CHECK(count_of(sent.output, "DIMSE Status                  : 0x0000: Success") ==
        3);  // the 2 valid ones and the MR image
  CHECK(count_of(sent.output, "DIMSE Status                  : 0xc000: Error: Cannot understand") ==
        4);
  CHECK(count_of(sent.output, "ErrorComment") == 4);
  // "received" counts a request as it arrives: wait for each outcome.
  REQUIRE(status_reaches(node, "stored", 2));
  REQUIRE(status_reaches(node, "not_ct_ignored", 1));
  for (const auto& [reason, count] : expected_refusals) {
    CAPTURE(reason);
    CHECK(contains(sent.output, "LO [" + reason + ": "));
    REQUIRE(status_reaches(node, "refused." + reason, count));
    CHECK(status_value(node, "refused." + reason) == count);
  }
  CHECK(status_value(node, "received") == 7);
  CHECK(status_value(node, "stored") == 2);
  CHECK(status_value(node, "not_ct_ignored") == 1);
  CHECK(spooled_instances(node.spool()).size() == 2);
  CHECK(fs::is_empty(node.spool() / ".incoming"));
  // The node still serves.
  const PeerRun echo = run_peer({IHD_ECHOSCU, "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1",
                                 std::to_string(node.port())},
                                folder / "echo.log");
  CHECK(echo.exit_code == 0);
  CHECK(node.running());
  CHECK(node.kill(SIGTERM) == 0);
}

}  // namespace ihd::serve_test
