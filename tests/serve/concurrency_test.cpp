// Eight storescu associations at once, four studies each, plus in each association a hostile
// instance and an instance another association also sends: every instance is accounted for
// (stored once, or refused with its reason, or acknowledged as a duplicate), none is kept twice,
// the spool holds exactly the instances pydicom names, and every study gets its worklist row.
#include <doctest/doctest.h>

#include "common/delimited.h"
#include "hostile_instances.h"
#include "serve_test_util.h"

namespace ihd::serve_test {

TEST_CASE("ihd_serve accounts for every instance of 8 concurrent associations, none twice") {
  constexpr int kAssociations = 8, kStudiesEach = 4, kSlices = 3;
  const fs::path folder = scratch_dir("concurrent");
  const std::vector<fs::path> files =
      synthetic_studies(folder / "synth", kAssociations * kStudiesEach, kSlices);
  REQUIRE(files.size() == kAssociations * kStudiesEach * kSlices);
  // The files of each study (ihd_synth writes one study per patient): group by pydicom's UID.
  const PeerRun grouped = run_peer(
      [&] {
        std::vector<std::string> arguments = {
            "/usr/bin/python3", "-c",
            "import sys, pydicom\n"
            "for name in sys.argv[1:]:\n"
            "    d = pydicom.dcmread(name)\n"
            "    print('FILE', d.StudyInstanceUID, d.SeriesInstanceUID, d.SOPInstanceUID, name)\n"};
        for (const fs::path& file : files) arguments.push_back(file.string());
        return arguments;
      }(),
      folder / "pydicom.log");
  REQUIRE(grouped.exit_code == 0);
  std::map<std::string, std::vector<std::string>> studies;
  std::set<std::string> expected_spool;
  std::istringstream lines(grouped.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("FILE ")) continue;
    std::istringstream fields(line.substr(5));
    std::string study, series, sop, name;
    fields >> study >> series >> sop >> name;
    studies[study].push_back(name);
    expected_spool.insert(study + "/" + series + "/" + sop + ".dcm");
  }
  REQUIRE(studies.size() == kAssociations * kStudiesEach);

  const HostileInstance hostile = hostile_instances("1.2.826.0.1.3680043.8.498.78.")[0];
  const fs::path hostile_file = folder / "hostile.dcm";
  write_bytes(hostile_file, hostile.bytes);
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE"});
  std::vector<pid_t> senders;
  auto study = studies.begin();
  for (int a = 0; a < kAssociations; ++a) {
    std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {});
    for (int s = 0; s < kStudiesEach; ++s, ++study) {
      for (const std::string& name : study->second) arguments.push_back(name);
    }
    arguments.push_back(hostile_file.string());
    // One instance of the next association's first study: sent twice, at about the same time.
    arguments.push_back(
        std::next(studies.begin(), ((a + 1) % kAssociations) * kStudiesEach)->second.front());
    senders.push_back(
        reliability::start_process(arguments, folder / ("storescu_" + std::to_string(a) + ".log")));
  }
  for (int a = 0; a < kAssociations; ++a) {
    CAPTURE(a);
    CHECK(reliability::wait_for(senders[a]) == 0);
    const std::string output = read_bytes(folder / ("storescu_" + std::to_string(a) + ".log"));
    CHECK(count_of(output, "Received Store Response (Success)") == kStudiesEach * kSlices + 1);
    CHECK(count_of(output, "Received Store Response (Error: CannotUnderstand)") == 1);
  }
  const double total = kAssociations * (kStudiesEach * kSlices + 2);
  REQUIRE(status_reaches(node, "received", total));
  REQUIRE(all_studies_finished(node, kAssociations * kStudiesEach * kSlices));
  REQUIRE(status_reaches(node, "duplicates", kAssociations));
  REQUIRE(status_reaches(node, "refused." + hostile.reason, kAssociations));
  CHECK(status_value(node, "received") == total);
  CHECK(status_value(node, "stored") == kAssociations * kStudiesEach * kSlices);
  CHECK(status_value(node, "duplicates") == kAssociations);
  CHECK(status_value(node, "refused." + hostile.reason) == kAssociations);
  CHECK(status_value(node, "associations_accepted") == kAssociations);
  CHECK(spooled_instances(node.spool()) == expected_spool);
  CHECK(fs::is_empty(node.spool() / ".incoming"));

  // Every study processed: one worklist row each (the header aside).
  RecordReader worklist(node.out() / "worklist.csv", TextFormat::csv, ErrorKind::bad_csv);
  std::set<std::string> listed;
  for (std::vector<std::string> fields; worklist.next(fields);) listed.insert(fields[1]);
  listed.erase("study");
  CHECK(listed.size() == studies.size());
  for (const auto& [uid, names] : studies) CHECK(listed.count(uid) == 1);
  CHECK(node.kill(SIGTERM) == 0);
}

}  // namespace ihd::serve_test
