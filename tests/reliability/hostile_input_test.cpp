// The hostile-input table: files crafted as an attacker would, each class built here in the test,
// fed to the tools as a user would (ihd_prepare, ihd_predict, ihd_eval, ihd_train in child
// processes), among good files. For every row: the tool does not crash (no signal), its peak
// resident memory stays under 400 MB, the message is one line naming the file and the reason,
// the other files of the batch are processed, and nothing is written outside the output folder.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "apps/pipeline/run_config.h"
#include "child_process.h"
#include "common/atomic_file.h"
#include "data/dicom_bytes.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/prepared_cache.h"
#include "reliability_util.h"
#include "tiny_run.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;
namespace bytes = data::dicom_bytes;
using bytes::Syntax;

constexpr long kMemoryLimitBytes = 400L << 20;

struct ToolRun {
  int exit_code = 0;
  long peak_rss_bytes = 0;
  std::string output;  // stdout and stderr together
};

ToolRun run_tool(const std::vector<std::string>& arguments, const fs::path& log) {
  fs::remove(log);
  const ChildOutcome outcome = wait_with_usage(start_process(arguments, log));
  return {outcome.exit_code, outcome.peak_rss_bytes, read_bytes(log)};
}

// The lines of the tool's output that mention `name`.
std::vector<std::string> lines_naming(const std::string& output, const std::string& name) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.find(name) != std::string::npos) lines.push_back(line);
  }
  return lines;
}

// Every file and folder under `folder`, so that a test can tell what a tool added where.
std::vector<std::string> files_under(const fs::path& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    files.push_back(fs::relative(entry.path(), folder).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What a tool may change: only files under `outputs` (and the log). Returns the files it added or
// removed elsewhere in `dir`.
std::vector<std::string> changes_outside(const std::vector<std::string>& before,
                                         const fs::path& dir, const std::vector<fs::path>& outputs,
                                         const fs::path& log) {
  std::vector<std::string> after = files_under(dir), changed;
  std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(),
                                std::back_inserter(changed));
  std::erase_if(changed, [&](const std::string& file) {
    if (file == fs::relative(log, dir).string()) return true;
    for (const fs::path& output : outputs) {
      const std::string prefix = fs::relative(output, dir).string();
      if (file == prefix || file.rfind(prefix + "/", 0) == 0) return true;
    }
    return false;
  });
  return changed;
}

// The checks every row makes on a tool's run.
void check_contained(const ToolRun& run, int expected_exit_code) {
  CAPTURE(run.output);
  CHECK(run.exit_code >= 0);  // not ended by a signal
  CHECK(run.exit_code == expected_exit_code);
  CHECK(run.peak_rss_bytes < kMemoryLimitBytes);
  MESSAGE("peak resident memory ", run.peak_rss_bytes >> 20, " MiB");
}

// `name` is named on exactly one line, which carries `reason`.
void check_one_line(const ToolRun& run, const std::string& name, const std::string& reason) {
  CAPTURE(run.output);
  const std::vector<std::string> lines = lines_naming(run.output, name);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(reason) != std::string::npos);
}

// A good CT slice, as a scanner would write it; `patient_id` replaces the phantom's when given.
void write_good_slice(const fs::path& path, int index, const std::string& patient_id = "") {
  const data::PhantomPatient patient = data::make_phantom_patient(7, index, 1, 0.5);
  data::PhantomSlice slice = data::render_phantom_slice(patient, 0, 64);
  if (!patient_id.empty()) slice.image.metadata.patient_id = patient_id;
  data::write_ct_dicom(path, slice.image, patient.encoding);
}

// An RSNA-layout folder: the slices named, their labels in stage_2_train.csv as given (rows of
// "ID,Label" after the header).
fs::path rsna_folder(const fs::path& root, const std::map<std::string, std::string>& patient_ids,
                     const std::string& label_rows) {
  fs::create_directories(root / "stage_2_train");
  int index = 0;
  for (const auto& [image_id, patient_id] : patient_ids) {
    write_good_slice(root / "stage_2_train" / (image_id + ".dcm"), ++index, patient_id);
  }
  write_bytes(root / "stage_2_train.csv", "ID,Label\n" + label_rows);
  return root;
}

// Six label rows of one image, `any` as given and every subtype 0 (or all 1 when positive).
std::string label_rows(const std::string& image_id, const std::string& any) {
  std::string rows;
  for (const char* subtype :
       {"epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural"}) {
    rows += image_id + "_" + subtype + "," + (any == "1" ? "1" : "0") + "\n";
  }
  return rows + image_id + "_any," + any + "\n";
}

struct HostileFile {
  std::string content;
  std::string reason;  // a part of the message that says what is wrong
};

// The hostile DICOM files, one per class, each under 1 MB (built once: the deflate bombs take
// seconds to compress).
std::map<std::string, HostileFile> build_hostile_dicom_files() {
  const Syntax le = Syntax::explicit_little;
  const std::string pixels_64(64 * 64 * 2, '\0');
  const auto image = [&](const std::string& attributes, const std::string& pixel_data) {
    return bytes::part10(bytes::explicit_little_uid, attributes + pixel_data);
  };
  const std::string pixel_element = bytes::element(le, bytes::pixel_data_tag, "OW", pixels_64);
  std::map<std::string, HostileFile> files;
  files["nested_10000.dcm"] = {
      image(bytes::nested_sequences(le, 10000, false) + bytes::image_attributes(le, 64, 64),
            pixel_element),
      "sequences nest more than 64 levels deep"};
  files["rows_ul_max.dcm"] = {
      image(bytes::image_attributes(le, 0, 64) + bytes::ul(le, bytes::rows_tag, 0xFFFFFFFFu),
            pixel_element),
      "Rows 4294967295 exceeds the limit of 8192"};
  files["rows_is_max.dcm"] = {image(bytes::image_attributes(le, 0, 64) +
                                        bytes::text(le, bytes::rows_tag, "IS", "4294967295"),
                                    pixel_element),
                              "Rows 4294967295 exceeds the limit of 8192"};
  files["slope_nan.dcm"] = {
      image(bytes::image_attributes(le, 64, 64) + bytes::text(le, {0x0028, 0x1053}, "DS", "NaN"),
            pixel_element),
      "not a finite number"};
  files["intercept_nan.dcm"] = {
      image(bytes::image_attributes(le, 64, 64) + bytes::text(le, {0x0028, 0x1052}, "DS", "nan"),
            pixel_element),
      "not a finite number"};
  // Deflated data sets, each under 1 MB (deflate shrinks zeros about 1000 times): 65535 x 32767
  // declared, with 900 MiB of pixels inflating; a 1 GiB PixelData behind a 64 x 64 header, 1000
  // MiB of it present; 16384 x 16384 x 2 bytes, all present.
  const auto deflated = [&](const std::string& attributes, std::uint64_t declared_bytes,
                            std::uint64_t present_bytes) {
    bytes::RawDeflater deflater;
    deflater.bytes(attributes)
        .bytes(bytes::element_header(le, bytes::pixel_data_tag, "OW",
                                     static_cast<std::uint32_t>(declared_bytes)))
        .zeros(present_bytes);
    return bytes::part10(bytes::deflated_uid, deflater.finish());
  };
  files["deflate_bomb.dcm"] = {deflated(bytes::image_attributes(le, 65535, 32767),
                                        std::uint64_t{65535} * 32767 * 2, std::uint64_t{900} << 20),
                               "more than the limit of 256 MiB"};
  files["deflate_1gb_behind_64x64.dcm"] = {
      deflated(bytes::image_attributes(le, 64, 64), std::uint64_t{1} << 30,
               std::uint64_t{1000} << 20),
      "more than the limit of 256 MiB"};
  files["deflate_16384.dcm"] = {
      deflated(bytes::image_attributes(le, 16384, 16384), std::uint64_t{16384} * 16384 * 2,
               std::uint64_t{16384} * 16384 * 2),
      "more than the limit of 256 MiB"};
  for (const auto& [name, file] : files) {
    CAPTURE(name);
    REQUIRE(file.content.size() < (1u << 20));
  }
  return files;
}

const std::map<std::string, HostileFile>& hostile_dicom_files() {
  static const std::map<std::string, HostileFile> files = build_hostile_dicom_files();
  return files;
}

// A trained run for the tools that read one (built once for this binary).
const fs::path& tiny_run_folder() {
  static const fs::path folder = [] {
    const fs::path dir = scratch_dir("hostile_tiny_run");
    const ToolRun run = run_tool(tiny_train_arguments(dir, dir / "run"), dir / "train.log");
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    return dir / "run";
  }();
  return folder;
}

}  // namespace

TEST_CASE(
    "hostile input: crafted DICOM files among good ones, through ihd_prepare and ihd_predict") {
  for (const auto& [name, file] : hostile_dicom_files()) {
    SUBCASE(name.c_str()) {
      const fs::path dir = scratch_dir("hostile_dicom");
      const fs::path inputs = dir / "inputs";
      fs::create_directories(inputs);
      write_good_slice(inputs / "a_good.dcm", 1);
      write_bytes(inputs / name, file.content);
      write_good_slice(inputs / "z_good.dcm", 2);
      const std::vector<std::string> before = files_under(dir);

      const fs::path pngs = dir / "pngs", log = dir / "log.txt";
      const ToolRun prepare =
          run_tool({IHD_PREPARE_BINARY, "--png", pngs.string(), inputs.string()}, log);
      check_contained(prepare, 0);
      check_one_line(prepare, (inputs / name).string(), file.reason);
      CHECK(prepare.output.find("skipped 1") != std::string::npos);
      CHECK(fs::exists(pngs / "a_good.png"));
      CHECK(fs::exists(pngs / "z_good.png"));
      CHECK(files_under(pngs).size() == 2);  // the PNG folder holds no subfolder
      CHECK(changes_outside(before, dir, {pngs}, log).empty());

      const fs::path predictions = dir / "predictions.csv";
      const ToolRun predict = run_tool({IHD_PREDICT_BINARY, "--model", tiny_run_folder().string(),
                                        "--out", predictions.string(), inputs.string()},
                                       log);
      check_contained(predict, 0);
      check_one_line(predict, (inputs / name).string(), file.reason);
      const std::string csv = read_bytes(predictions);
      CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);  // the header and the two good files
      CHECK(csv.find("a_good") != std::string::npos);
      CHECK(csv.find("z_good") != std::string::npos);
      CHECK(changes_outside(before, dir, {pngs, predictions}, log).empty());
    }
  }
}

TEST_CASE("hostile input: a deeply nested file in an RSNA folder does not stop ihd_train") {
  const fs::path dir = scratch_dir("hostile_train");
  std::string labels;
  std::map<std::string, std::string> patients;
  for (int i = 0; i < 8; ++i) {
    const std::string id = "ID_good" + std::to_string(i);
    patients[id] = "P" + std::to_string(i);
    labels += label_rows(id, i % 2 ? "1" : "0");
  }
  const fs::path rsna = rsna_folder(dir / "rsna", patients, labels + label_rows("ID_nested", "1"));
  write_bytes(rsna / "stage_2_train" / "ID_nested.dcm",
              hostile_dicom_files().at("nested_10000.dcm").content);
  const std::vector<std::string> before = files_under(dir);
  std::vector<std::string> arguments = tiny_train_arguments(dir, dir / "run");
  for (const std::string& flag : {std::string("--data"), rsna.string(), std::string("--no-balance"),
                                  std::string("--val-fraction"), std::string("0.25")}) {
    arguments.push_back(flag);
  }
  const ToolRun train = run_tool(arguments, dir / "log.txt");
  check_contained(train, 0);
  check_one_line(train, (rsna / "stage_2_train" / "ID_nested.dcm").string(),
                 "sequences nest more than 64 levels deep");
  CHECK(changes_outside(before, dir, {dir / "run", dir / "data"}, dir / "log.txt").empty());
}

TEST_CASE("hostile input: header strings with TAB, newline and ../ stay in their fields") {
  const fs::path dir = scratch_dir("hostile_strings");
  // A PatientID that ends its manifest record and appends a poisoned one (all labels 1, an ID
  // that climbs out of the export folder), one with a TAB, one that is a path.
  const std::string injected = "P1\n../../../escaped\t0\t0\ttrain\tP\tS\tS\t0\t0\t1\t1\t1\t1\t1\t1";
  const std::map<std::string, std::string> patients = {
      {"ID_a", injected}, {"ID_b", "P2\twith\ttabs"}, {"ID_c", "../../../etc"}};
  std::string labels;
  for (const auto& [id, patient] : patients) labels += label_rows(id, "0");
  const fs::path rsna = rsna_folder(dir / "rsna", patients, labels);
  const fs::path cache = dir / "cache", exported = dir / "exported", log = dir / "log.txt";
  const std::vector<std::string> before = files_under(dir);
  const std::vector<std::string> prepare_export = {
      IHD_PREPARE_BINARY, "--rsna", rsna.string(),  "--cache",
      cache.string(),     "--size", "32",           "--no-balance",
      "--validation",     "0",      "--export-png", exported.string()};
  const ToolRun prepare = run_tool(prepare_export, log);
  check_contained(prepare, 0);
  const auto dataset = data::open_prepared_cache(cache);
  REQUIRE(dataset->records().size() == 3);
  std::map<std::string, std::string> patient_of;
  for (const auto& record : dataset->records()) {
    patient_of[record.id] = record.patient_id;
    CHECK(record.labels == std::vector<float>(6, 0.0f));  // nothing poisoned
  }
  CHECK(patient_of == patients);
  CHECK(files_under(exported).size() == 3 + 9);  // three PNGs in 3 split x 2 class folders
  CHECK(changes_outside(before, dir, {cache, exported}, log).empty());

  // A cache that comes from elsewhere with a record whose ID climbs out: the export skips it.
  const fs::path shard_records = data::shard_records_path(cache, 0);
  auto records = data::read_cache_records(shard_records);
  records[0].id = "../../../escaped";
  std::string text = data::cache_record_header() + "\n";
  for (const auto& record : records) text += data::format_cache_record(record) + "\n";
  write_bytes(shard_records, text);
  fs::remove_all(exported);
  const ToolRun tampered = run_tool(prepare_export, log);
  check_contained(tampered, 0);
  check_one_line(tampered, "../../../escaped.png", "not usable as a file name");
  CHECK(files_under(exported).size() == 2 + 9);
  CHECK(changes_outside(before, dir, {cache, exported}, log).empty());
}

TEST_CASE("hostile input: labels other than 0 and 1 leave their images out, counted") {
  const fs::path dir = scratch_dir("hostile_labels");
  std::map<std::string, std::string> patients;
  std::string labels;
  const std::vector<std::string> bad = {"nan", "inf", "2", "-1", "0.5"};
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string id = "ID_bad" + std::to_string(i);
    patients[id] = "P" + std::to_string(i);
    labels += label_rows(id, bad[i]);
  }
  for (int i = 0; i < 4; ++i) {
    const std::string id = "ID_good" + std::to_string(i);
    patients[id] = "Q" + std::to_string(i);
    labels += label_rows(id, i % 2 ? "1" : "0");
  }
  const fs::path rsna = rsna_folder(dir / "rsna", patients, labels);
  const ToolRun prepare = run_tool({IHD_PREPARE_BINARY, "--rsna", rsna.string(), "--cache",
                                    (dir / "cache").string(), "--size", "32", "--no-balance"},
                                   dir / "log.txt");
  check_contained(prepare, 0);
  CAPTURE(prepare.output);
  CHECK(prepare.output.find("5 with a label other than 0 or 1 (5 images left out)") !=
        std::string::npos);
  check_one_line(prepare, "ID_bad0_any",
                 (rsna / "stage_2_train.csv").string() +
                     ": line 7: label 'nan' of ID_bad0_any is not 0 or 1; the image is left out");
  const auto dataset = data::open_prepared_cache(dir / "cache");
  CHECK(dataset->records().size() == 4);
  for (const auto& record : dataset->records()) CHECK(record.id.rfind("ID_good", 0) == 0);
}

TEST_CASE("hostile input: a safetensors file whose 100 MB header is one JSON array") {
  const fs::path dir = scratch_dir("hostile_safetensors");
  const fs::path weights = dir / "model" / "weights.safetensors";
  fs::create_directories(weights.parent_path());
  {
    std::string header = "[";
    header.reserve(100'000'000);
    while (header.size() < 100'000'000 - 2) header += "0,";
    header.back() = ']';
    const std::uint64_t length = header.size();
    std::string file(reinterpret_cast<const char*>(&length), 8);
    write_bytes(weights, file + header);
  }
  fs::copy_file(tiny_run_folder() / "config.json", weights.parent_path() / "config.json");
  std::vector<std::string> train = tiny_train_arguments(dir, dir / "run");
  train.push_back("--init");
  train.push_back(weights.string());
  const std::vector<std::vector<std::string>> commands = {
      train,
      {IHD_PREDICT_BINARY, "--model", weights.string(), "--out", (dir / "p.csv").string(),
       (dir / "model").string()}};
  for (const auto& command : commands) {
    CAPTURE(command[0]);
    const ToolRun run = run_tool(command, dir / "log.txt");
    check_contained(run, 1);
    check_one_line(run, weights.string(), "the header is not a JSON object");
  }
  fs::remove(weights);
}

TEST_CASE("hostile input: a run folder's config.json with absurd values") {
  // The threshold is what inference reads; --resume recomputes it, so it reads the others only.
  struct Edit {
    std::string key, value, reason;
    bool read_by_resume;
  };
  const std::vector<Edit> edits = {
      {"decision_threshold", "abc", "decision_threshold 'abc' is not a number in [0, 1]", false},
      {"image-size", "20000", "--image-size must be in [32, 1024], got 20000", true},
      {"width", "100", "--width must be in (0, 4], got 100", true},
      {"image-size", "0", "--image-size must be in [32, 1024], got 0", true}};
  for (const Edit& edit : edits) {
    const std::string& reason = edit.reason;
    CAPTURE(reason);
    const fs::path dir = scratch_dir("hostile_config");
    const fs::path run = dir / "run";
    fs::copy(tiny_run_folder(), run, fs::copy_options::recursive);
    fs::remove(run / ".ihd-lock");
    auto config = pipeline::read_run_config(run / "config.json");
    config[edit.key] = edit.value;
    pipeline::write_run_config(run / "config.json", {config.begin(), config.end()});
    const fs::path image = dir / "slice.dcm";
    write_good_slice(image, 1);
    std::vector<std::vector<std::string>> commands = {
        {IHD_PREDICT_BINARY, "--model", run.string(), "--out", (dir / "p.csv").string(),
         image.string()},
        {IHD_EVAL_BINARY, "--model", run.string(), "--out", (dir / "eval").string()}};
    if (edit.read_by_resume) {
      commands.push_back({IHD_TRAIN_BINARY, "--resume", run.string(), "--epochs", "2"});
    }
    for (const auto& command : commands) {
      CAPTURE(command[0]);
      const std::vector<std::string> before = files_under(dir);
      const ToolRun tool = run_tool(command, dir / "log.txt");
      check_contained(tool, 1);
      check_one_line(tool, (run / "config.json").string(), reason);
      CHECK(changes_outside(before, dir, {}, dir / "log.txt").empty());
    }
  }
}

}  // namespace ihd::reliability
