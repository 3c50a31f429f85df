// What a complete study gets, against independent references: ihd_predict run on the same files
// with the same model gives the same study probability, decision and key slices as the node's
// worklist row (CSV and JSON, ordered by probability); pydicom reads the node's SR (the
// probability in it) and its Secondary Captures (one per key slice); and with --send-to, DCMTK's
// storescp receives exactly those SR and SC instances.
#include <doctest/doctest.h>

#include "common/delimited.h"
#include "serve_test_util.h"

namespace ihd::serve_test {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows csv_rows(const fs::path& file) {
  RecordReader reader(file, TextFormat::csv, ErrorKind::bad_csv);
  Rows rows;
  for (std::vector<std::string> fields; reader.next(fields);) rows.push_back(fields);
  return rows;
}

// pydicom's reading of a result file: its SOP class and instance UIDs and, for an SR, every NUM
// content item as "NUM <code meaning>=<value>".
std::string pydicom_result_summary(const std::vector<fs::path>& files, const fs::path& log) {
  std::vector<std::string> arguments = {
      "/usr/bin/python3", "-c",
      "import sys, pydicom\n"
      "def walk(items):\n"
      "    for item in items:\n"
      "        if item.get('ValueType') == 'NUM':\n"
      "            meaning = item.ConceptNameCodeSequence[0].CodeMeaning\n"
      "            value = item.MeasuredValueSequence[0].NumericValue\n"
      "            print(f'NUM {meaning}={value}')\n"
      "        walk(item.get('ContentSequence', []))\n"
      "for name in sys.argv[1:]:\n"
      "    d = pydicom.dcmread(name)\n"
      "    print(f'SOP {d.SOPClassUID} {d.SOPInstanceUID}')\n"
      "    walk(d.get('ContentSequence', []))\n"};
  for (const fs::path& file : files) arguments.push_back(file.string());
  const PeerRun run = run_peer(arguments, log);
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  return run.output;
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::set<std::string> sop_lines(const std::string& summary) {
  std::set<std::string> lines;
  std::istringstream in(summary);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("SOP ")) lines.insert(line);
  }
  return lines;
}

constexpr const char* kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";

}  // namespace

TEST_CASE("ihd_serve's worklist, SR and SC give ihd_predict's probabilities for a study sent") {
  const fs::path folder = scratch_dir("results");
  const std::vector<fs::path> files =
      with_valid_uids(synthetic_studies(folder / "synth", 3, 4), folder / "valid");
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE"});
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {});
  for (const fs::path& file : files) arguments.push_back(file.string());
  const PeerRun sent = run_peer(arguments, folder / "storescu.log");
  CAPTURE(sent.output);
  REQUIRE(sent.exit_code == 0);
  CAPTURE(read_bytes(node.log()));
  REQUIRE(all_studies_finished(node, 12));

  std::vector<std::string> predict = {tool("ihd_predict"),
                                      "--model=" + std::string(IHD_SERVE_TEST_MODEL),
                                      "--studies=" + (folder / "studies.csv").string(),
                                      "--out=" + (folder / "slices.csv").string()};
  for (const fs::path& file : files) predict.push_back(file.string());
  const PeerRun predicted = run_peer(predict, folder / "predict.log");
  CAPTURE(predicted.output);
  REQUIRE(predicted.exit_code == 0);
  // study, series, slices, any_probability, decision, key_slices (IDs: the SOP instance UIDs)
  std::map<std::string, std::vector<std::string>> reference;
  for (const auto& row : csv_rows(folder / "studies.csv")) reference[row[0]] = row;
  REQUIRE(reference.size() == 4);  // the header and three studies

  // rank, study, probability, decision, labels, key_slices, slices, finished_at
  const Rows worklist = csv_rows(node.out() / "worklist.csv");
  REQUIRE(worklist.size() == 4);
  CHECK(worklist[0][0] == "rank");
  for (std::size_t i = 1; i < worklist.size(); ++i) {
    const std::vector<std::string>& row = worklist[i];
    CAPTURE(row[1]);
    CHECK(row[0] == std::to_string(i));
    REQUIRE(reference.count(row[1]) == 1);
    const std::vector<std::string>& expected = reference[row[1]];
    CHECK(row[2] == expected[3]);
    CHECK(row[3] == expected[4]);
    CHECK(row[5] == expected[5]);
    CHECK(row[6] == expected[2]);
    if (i > 1) CHECK(std::stod(worklist[i - 1][2]) >= std::stod(row[2]));

    // The SR says the same probability; one Secondary Capture per key slice.
    const fs::path results = node.out() / row[1];
    REQUIRE(fs::exists(results / "SR.dcm"));
    const std::string summary = pydicom_result_summary(files_in(results), folder / "sr.log");
    CHECK(contains(summary, "=" + expected[3] + "\n"));
    const std::size_t key_slices = std::count(row[5].begin(), row[5].end(), ';') + 1;
    CHECK(count_of(summary, std::string("SOP ") + kSecondaryCapture + " ") == key_slices);
  }

  // worklist.json: the same order and numbers, read by Python's json.
  const PeerRun json = run_peer({"/usr/bin/python3", "-c",
                                 "import sys, json\n"
                                 "for s in json.load(open(sys.argv[1]))['studies']:\n"
                                 "    print(f\"ROW {s['rank']} {s['study']} {s['probability']:.6f} "
                                 "{len(s['key_slices'])}\")\n",
                                 (node.out() / "worklist.json").string()},
                                folder / "json.log");
  CAPTURE(json.output);
  REQUIRE(json.exit_code == 0);
  for (std::size_t i = 1; i < worklist.size(); ++i) {
    const std::size_t key_slices =
        std::count(worklist[i][5].begin(), worklist[i][5].end(), ';') + 1;
    CHECK(contains(json.output, "ROW " + worklist[i][0] + " " + worklist[i][1] + " " +
                                    worklist[i][2] + " " + std::to_string(key_slices) + "\n"));
  }
  CHECK(status_value(node, "studies_failed") == 0);
  CHECK(status_value(node, "result_latency_seconds.max") > 0);
  CHECK(node.kill(SIGTERM) == 0);
}

TEST_CASE("ihd_serve --send-to C-STOREs each study's SR and SC to a storescp peer") {
  const fs::path folder = scratch_dir("send_to");
  const std::vector<fs::path> files =
      with_valid_uids(synthetic_studies(folder / "synth", 1, 3), folder / "valid");
  const fs::path received = folder / "viewer";
  fs::create_directories(received);
  const int viewer_port = free_port();
  const pid_t viewer = reliability::start_process(
      {IHD_STORESCP, "-aet", "VIEWER", "-od", received.string(), std::to_string(viewer_port)},
      folder / "storescp.log");
  REQUIRE(eventually([&] { return port_accepts(viewer_port); }));
  Node node(folder, free_port(),
            {"--allow-ae=ARCHIVE", "--send-to=VIEWER@127.0.0.1:" + std::to_string(viewer_port)});
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {});
  for (const fs::path& file : files) arguments.push_back(file.string());
  REQUIRE(run_peer(arguments, folder / "storescu.log").exit_code == 0);
  CAPTURE(read_bytes(node.log()));
  REQUIRE(all_studies_finished(node, 3));

  const Rows worklist = csv_rows(node.out() / "worklist.csv");
  REQUIRE(worklist.size() == 2);
  const std::vector<fs::path> written = files_in(node.out() / worklist[1][1]);
  REQUIRE(written.size() >= 2);  // the SR and at least one SC
  CHECK(eventually([&] { return files_in(received).size() == written.size(); }));
  CHECK(sop_lines(pydicom_result_summary(files_in(received), folder / "received.log")) ==
        sop_lines(pydicom_result_summary(written, folder / "written.log")));
  CHECK(status_value(node, "sends_failed") == 0);
  CHECK(node.kill(SIGTERM) == 0);
  ::kill(viewer, SIGTERM);
  reliability::wait_for(viewer);
}

}  // namespace ihd::serve_test
