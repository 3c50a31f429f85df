// ihd_predict --dicom-out end to end, for a slice-only and a two-stage run (tiny, CPU, trained
// here), on a synthetic study given valid UIDs and a filled-in header, beside hostile studies
// (dicom_results_tool.py makes them with pydicom): dicom3tools' dciodvfy reports no error on the
// SR and on each SC; DCMTK's dsr2html renders the SR with the study's probability in it; read
// back by pydicom, the SR's probabilities are the highest of ihd_predict's CSV over the study's
// slices, its key slices are the five with the highest `any` in that CSV, every reference points
// at an input slice or at one of the SCs, the SR and SCs carry the source's StudyInstanceUID and
// Patient and Study attributes; and each hostile study (not-UID and over-long StudyInstanceUID,
// over-long PatientName and PatientID, a control character in PatientID) gets one line naming the
// reason and no folder. A second run replaces the study's folder whole, and --studies agrees.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "apps/pipeline/sequence_trainer.h"
#include "apps/pipeline/trainer.h"
#include "common/delimited.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

const std::string kPython = "/usr/bin/python3 -W ignore " IHD_DICOM_RESULTS_TOOL;

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.output.append(buffer, n);
  result.status = ::pclose(pipe);
  return result;
}

// A tool the test needs, or a failure saying how to get it (scripts/test.sh installs them).
void require_tool(const std::string& tool, const std::string& package) {
  INFO(tool << " is missing: install Debian's " << package << " (scripts/test.sh does)");
  REQUIRE(run("command -v " + tool).status == 0);
}

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, separator);) fields.push_back(field);
  return fields;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  RecordReader reader(path, TextFormat::csv, ErrorKind::bad_csv);
  std::vector<std::vector<std::string>> records;
  for (std::vector<std::string> fields; reader.next(fields);) records.push_back(fields);
  return records;
}

TrainOptions tiny_run(const fs::path& folder) {
  fs::remove_all(folder);
  TrainOptions o;
  o.out = (folder / "run").string();
  o.data_cache = (folder / "data").string();
  o.synth_patients = 16;
  o.synth_slices = 8;
  o.arch = "resnet18";
  o.width = 0.125;
  o.image_size = 32;
  o.batch = 16;
  o.epochs = 1;
  o.labels = "all";
  o.threads = 2;
  o.workers = 1;
  return o;
}

// What dicom_results_tool.py read printed about one file, by kind of line.
std::map<std::string, std::vector<std::vector<std::string>>> facts_of(const fs::path& file) {
  const CommandResult read = run(kPython + " read '" + file.string() + "'");
  INFO(read.output);
  REQUIRE(read.status == 0);
  std::map<std::string, std::vector<std::vector<std::string>>> facts;
  for (const std::string& line : lines_of(read.output)) {
    std::vector<std::string> fields = split(line, '\t');
    const std::string kind = fields.front();
    fields.erase(fields.begin());
    facts[kind].push_back(fields);
  }
  return facts;
}

void check_valid_by_dciodvfy(const fs::path& file) {
  const CommandResult check = run("dciodvfy '" + file.string() + "'");
  INFO("dciodvfy " << file << ":\n" << check.output);
  for (const std::string& line : lines_of(check.output)) CHECK(line.rfind("Error", 0) != 0);
}

// Scores the fixture with `run_dir`, and checks the DICOM results against the CSV.
void check_dicom_results(const fs::path& folder, const fs::path& run_dir,
                         const fs::path& source_dir) {
  require_tool("dciodvfy", "dicom3tools");
  require_tool("dsr2html", "dcmtk");
  {
    INFO("/usr/bin/python3 cannot import pydicom: install Debian's python3-pydicom");
    REQUIRE(run("/usr/bin/python3 -c 'import pydicom'").status == 0);
  }
  const fs::path fixture = folder / "fixture", out = folder / "dicom";
  const CommandResult made =
      run(kPython + " fixture '" + source_dir.string() + "' '" + fixture.string() + "'");
  INFO(made.output);
  REQUIRE(made.status == 0);
  std::map<std::string, std::string> uid_of;
  for (const std::string& line : lines_of(made.output)) {
    const auto fields = split(line, '\t');
    if (fields.size() == 3 && fields[0] == "study") uid_of[fields[1]] = fields[2];
  }
  REQUIRE(uid_of.size() == 6);
  const std::string study_uid = uid_of.at("valid");

  const fs::path csv = folder / "slices.csv", studies_csv = folder / "studies.csv";
  const std::string predict = std::string(IHD_PREDICT_BINARY) + " --model " + run_dir.string() +
                              " --out " + csv.string() + " --studies " + studies_csv.string() +
                              " --dicom-out " + out.string() + " " + fixture.string();
  // A first run's results, which the second replaces whole.
  REQUIRE(run(predict).status == 0);
  const fs::path study_dir = out / study_uid;
  const std::string first_capture = facts_of(study_dir / "SC_1.dcm")["file"].at(0)[2];
  const CommandResult predicted = run(predict);
  INFO(predicted.output);
  REQUIRE(predicted.status == 0);
  // One line per hostile study, with its reason; a folder for the valid study only.
  const std::map<std::string, std::string> reasons = {
      {"rsna", "StudyInstanceUID \"ID_"},
      {"long_uid", "StudyInstanceUID \"1111"},
      {"long_name", "PatientName is longer than its VR allows"},
      {"huge_id", "PatientID is longer than 1024 bytes"},
      {"control", "PatientID holds a control character"}};
  const std::vector<std::string> printed = lines_of(predicted.output);
  for (const auto& [hostile, reason] : reasons) {
    CAPTURE(hostile);
    const std::string start = "no DICOM results for a study: " + (fixture / hostile).string() + "/";
    CHECK(std::count_if(printed.begin(), printed.end(), [&](const std::string& line) {
            return line.rfind(start, 0) == 0 && line.find(reason) != std::string::npos;
          }) == 1);
  }
  CHECK(predicted.output.find("DICOM results for 1 studies, 5 refused") != std::string::npos);
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(out)) folders.push_back(entry.path());
  REQUIRE(folders == std::vector<fs::path>{out / study_uid});

  // The CSV's rows of the valid study's slices, by SOPInstanceUID (the fixture's k-th file in
  // name order has SOPInstanceUID <study>.1.<k>).
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(fixture / "valid"))
    stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  REQUIRE(stems.size() == 8);
  std::map<std::string, std::string> stem_of_sop;
  for (size_t k = 0; k < stems.size(); ++k) {
    stem_of_sop[study_uid + ".1." + std::to_string(k + 1)] = stems[k];
  }
  const auto rows = read_csv(csv);
  std::map<std::string, std::vector<std::string>> row_of;
  for (const auto& row : rows) row_of[row[0]] = row;
  const std::vector<std::string>& header = rows.front();
  REQUIRE(header.back() == "any_label");

  check_valid_by_dciodvfy(study_dir / "SR.dcm");
  const CommandResult html = run("dsr2html '" + (study_dir / "SR.dcm").string() + "'");
  CHECK(html.status == 0);

  auto report = facts_of(study_dir / "SR.dcm");
  REQUIRE(report["file"].size() == 1);
  CHECK(report["file"][0][1] == "1.2.840.10008.5.1.4.1.1.88.33");  // Comprehensive SR
  CHECK(report["file"][0][3] == study_uid);
  CHECK(report["patient"][0] ==
        std::vector<std::string>{"PAT0001", "Doe^Jane", "20240102", "A1234"});
  // Each label's NUM is the highest of the CSV's column over the study's slices, as printed.
  std::map<std::string, std::string> number_of;
  for (const auto& fields : report["num"]) number_of[fields[0]] = fields[1];
  for (size_t column = 1; column + 1 < header.size(); column += 2) {
    const std::string label = header[column].substr(0, header[column].find("_probability"));
    CAPTURE(label);
    std::string highest = "0";
    for (const auto& [sop, stem] : stem_of_sop) {
      const std::string& value = row_of.at(stem)[column];
      if (std::stod(value) > std::stod(highest)) highest = value;
    }
    REQUIRE(number_of.count(label) == 1);
    CHECK(number_of.at(label) == highest);
    if (label == "any") CHECK(html.output.find(highest) != std::string::npos);
  }
  // The key slices: five, highest `any` first, each the CSV's `any` of its source slice; their
  // sources are inputs and listed as evidence, their captures are the SC files.
  const auto& key_slices = report["slice"];
  REQUIRE(key_slices.size() == 5);
  std::vector<double> any_of_inputs;
  for (const auto& [sop, stem] : stem_of_sop)
    any_of_inputs.push_back(std::stod(row_of.at(stem)[header.size() - 2]));
  std::sort(any_of_inputs.rbegin(), any_of_inputs.rend());
  std::set<std::string> evidence, other;
  for (const auto& fields : report["evidence"]) evidence.insert(fields[0]);
  for (const auto& fields : report["other"]) other.insert(fields[0]);
  std::set<std::string> captures_referenced;
  for (size_t i = 0; i < key_slices.size(); ++i) {
    CAPTURE(i);
    const std::string& source = key_slices[i][1];
    REQUIRE(stem_of_sop.count(source) == 1);
    CHECK(key_slices[i][0] == row_of.at(stem_of_sop.at(source))[header.size() - 2]);
    CHECK(std::stod(key_slices[i][0]) == any_of_inputs[i]);
    CHECK(evidence.count(source) == 1);
    captures_referenced.insert(key_slices[i][2]);
  }
  CHECK(evidence.size() == 5);
  CHECK(other == captures_referenced);

  // The SCs: SC_1..SC_5, valid, in the source study, each derived from its key slice.
  std::set<std::string> captures_written;
  for (size_t i = 0; i < key_slices.size(); ++i) {
    const fs::path file = study_dir / ("SC_" + std::to_string(i + 1) + ".dcm");
    CAPTURE(file);
    REQUIRE(fs::exists(file));
    check_valid_by_dciodvfy(file);
    auto capture = facts_of(file);
    CHECK(capture["file"][0][1] == "1.2.840.10008.5.1.4.1.1.7");  // Secondary Capture
    CHECK(capture["file"][0][3] == study_uid);
    CHECK(capture["file"][0][2] == key_slices[i][2]);
    CHECK(capture["patient"][0] == report["patient"][0]);
    captures_written.insert(capture["file"][0][2]);
    const auto& sc = capture["sc"].at(0);
    CHECK(sc[0] == std::to_string(i + 1));
    CHECK(sc[1] == "WSD");
    CHECK(sc[2] == "RGB");
    CHECK(sc[5] == "Derived from SOP instance " + key_slices[i][1]);
  }
  CHECK(captures_written == captures_referenced);
  std::vector<fs::path> written;
  for (const auto& entry : fs::directory_iterator(study_dir)) written.push_back(entry.path());
  CHECK(written.size() == 6);
  CHECK(captures_written.count(first_capture) == 0);

  // --studies says the same of the study: its slices, its `any`, its key slices in order.
  bool study_row_seen = false;
  for (const auto& row : read_csv(studies_csv)) {
    if (row[0] != study_uid) continue;
    study_row_seen = true;
    CHECK(row[1] == study_uid + ".1");
    CHECK(row[2] == "8");
    CHECK(row[3] == number_of.at("any"));
    std::string key_stems;
    for (const auto& fields : key_slices) {
      key_stems += (key_stems.empty() ? "" : ";") + stem_of_sop.at(fields[1]);
    }
    CHECK(row[5] == key_stems);
  }
  CHECK(study_row_seen);
}

}  // namespace

TEST_CASE("--dicom-out of a slice-only run: valid SR and SC with the CSV's probabilities") {
  const fs::path folder = "dicom_results_slice";
  const TrainOptions o = tiny_run(folder);
  run_training(o);
  check_dicom_results(folder, o.out,
                      fs::path(o.data_cache) / "synthetic-p16-s8-seed1" / "stage_2_train");
}

TEST_CASE("--dicom-out of a two-stage run: valid SR and SC with the CSV's probabilities") {
  const fs::path folder = "dicom_results_two_stage";
  TrainOptions o = tiny_run(folder);
  o.sequence_stage = true;
  o.sequence_epochs = 2;
  run_two_stage_training(o);
  check_dicom_results(folder, o.out,
                      fs::path(o.data_cache) / "synthetic-p16-s8-seed1" / "stage_2_train");
}

}  // namespace ihd::pipeline
