// The worklist's rows, their files and the two worklist formats: see worklist.h.
#include "apps/serve/worklist.h"

#include <algorithm>

#include "apps/pipeline/dicom_report.h"
#include "common/atomic_file.h"
#include "common/delimited.h"
#include "common/error.h"
#include "common/file_names.h"
#include "common/json.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;
using pipeline::probability_text;

constexpr const char* kRowsFolder = ".worklist";
const std::vector<std::string> kCsvHeader = {"rank",   "study",      "probability", "decision",
                                             "labels", "key_slices", "slices",      "finished_at"};

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ";") + part;
  return text;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(';', start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// "any=0.912345;epidural=0.010000": each label with its probability, in `format`.
std::string labels_text(const WorklistRow& row, std::string (*format)(double)) {
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < row.label_names.size(); ++k) {
    parts.push_back(row.label_names[k] + "=" + format(row.label_probabilities[k]));
  }
  return joined(parts);
}

// The row's stored record: study, probability (full precision), decision, labels, key slices,
// slices, finished_at.
std::vector<std::string> stored_record(const WorklistRow& row) {
  return {row.study_uid,
          json_number(row.probability),
          row.positive ? "1" : "0",
          labels_text(row, json_number),
          joined(row.key_slice_sop_uids),
          std::to_string(row.slices),
          row.finished_at};
}

WorklistRow parse_record(const std::vector<std::string>& fields, const fs::path& file) {
  IHD_CHECK_INPUT(fields.size() == 7, file.string(), ": a worklist row needs 7 fields, not ",
                  fields.size());
  WorklistRow row;
  row.study_uid = fields[0];
  row.probability = std::stod(fields[1]);
  row.positive = fields[2] == "1";
  for (const std::string& label : split(fields[3])) {
    const std::size_t equals = label.rfind('=');
    IHD_CHECK_INPUT(equals != std::string::npos, file.string(), ": a label without '='");
    row.label_names.push_back(label.substr(0, equals));
    row.label_probabilities.push_back(std::stod(label.substr(equals + 1)));
  }
  row.key_slice_sop_uids = split(fields[4]);
  row.slices = std::stoi(fields[5]);
  row.finished_at = fields[6];
  return row;
}

}  // namespace

Worklist::Worklist(fs::path out_dir)
    : out_dir_(std::move(out_dir)), rows_dir_(out_dir_ / kRowsFolder) {
  fs::create_directories(rows_dir_);
}

void Worklist::add(const WorklistRow& row) {
  write_file_atomically(child_path(rows_dir_, row.study_uid).concat(".csv"),
                        join_record(stored_record(row), TextFormat::csv) + "\n");
  rewrite();
}

std::vector<WorklistRow> Worklist::rows() const {
  std::vector<WorklistRow> rows;
  for (const auto& entry : fs::directory_iterator(rows_dir_)) {
    if (entry.path().extension() != ".csv") continue;
    RecordReader reader(entry.path(), TextFormat::csv, ErrorKind::bad_csv);
    std::vector<std::string> fields;
    if (reader.next(fields)) rows.push_back(parse_record(fields, entry.path()));
  }
  std::sort(rows.begin(), rows.end(), [](const WorklistRow& a, const WorklistRow& b) {
    return a.probability != b.probability ? a.probability > b.probability
                                          : a.study_uid < b.study_uid;
  });
  return rows;
}

void Worklist::rewrite() const {
  const std::vector<WorklistRow> ordered = rows();
  std::string csv = join_record(kCsvHeader, TextFormat::csv) + "\n";
  std::string json = "{\"studies\": [";
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    const WorklistRow& row = ordered[i];
    csv +=
        join_record({std::to_string(i + 1), row.study_uid, probability_text(row.probability),
                     row.positive ? "1" : "0", labels_text(row, probability_text),
                     joined(row.key_slice_sop_uids), std::to_string(row.slices), row.finished_at},
                    TextFormat::csv) +
        "\n";
    json += std::string(i ? "," : "") + "\n  {\"rank\": " + std::to_string(i + 1) +
            ", \"study\": " + json_quote(row.study_uid) +
            ", \"probability\": " + json_number(row.probability) +
            ", \"positive\": " + (row.positive ? "true" : "false") + ", \"labels\": {";
    for (std::size_t k = 0; k < row.label_names.size(); ++k) {
      json += std::string(k ? ", " : "") + json_quote(row.label_names[k]) + ": " +
              json_number(row.label_probabilities[k]);
    }
    json += "}, \"key_slices\": [";
    for (std::size_t k = 0; k < row.key_slice_sop_uids.size(); ++k) {
      json += std::string(k ? ", " : "") + json_quote(row.key_slice_sop_uids[k]);
    }
    json += "], \"slices\": " + std::to_string(row.slices) +
            ", \"finished_at\": " + json_quote(row.finished_at) + "}";
  }
  json += "\n]}\n";
  write_file_atomically(out_dir_ / "worklist.csv", csv);
  write_file_atomically(out_dir_ / "worklist.json", json);
}

}  // namespace ihd::serve
