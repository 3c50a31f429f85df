// series_labels.csv writing and strict reading.
#include "data/series_labels.h"

#include "common/atomic_file.h"
#include "common/delimited.h"
#include "common/error.h"

namespace ihd::data {
namespace {

std::vector<std::string> series_label_columns() {
  std::vector<std::string> columns = {"study", "series"};
  for (auto subtype : rsna_subtypes) columns.emplace_back(subtype);
  return columns;
}

}  // namespace

void write_series_labels(const std::filesystem::path& csv_path,
                         const std::vector<SeriesLabels>& series) {
  std::string out = join_record(series_label_columns(), TextFormat::csv) + "\n";
  for (const SeriesLabels& row : series) {
    std::vector<std::string> fields = {row.study_id, row.series_id};
    for (float label : row.labels) fields.push_back(label > 0 ? "1" : "0");
    out += join_record(fields, TextFormat::csv) + "\n";
  }
  write_file_atomically(csv_path, out);
}

std::map<std::pair<std::string, std::string>, RsnaLabels> read_series_labels(
    const std::filesystem::path& csv_path) {
  RecordReader reader(csv_path, TextFormat::csv, ErrorKind::bad_csv, 64 * 1024);
  const std::vector<std::string> columns = series_label_columns();
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields != columns)
    throw Error(ErrorKind::bad_csv, csv_path.string(),
                "header must be '" + join_record(columns, TextFormat::csv) + "'");
  std::map<std::pair<std::string, std::string>, RsnaLabels> table;
  while (reader.next(fields)) {
    const auto fail = [&](const std::string& reason) {
      throw Error(ErrorKind::bad_csv, csv_path.string(),
                  "line " + std::to_string(reader.line_number()) + ": " + reason);
    };
    if (fields.size() != columns.size())
      fail(std::to_string(fields.size()) + " fields, expected " + std::to_string(columns.size()));
    RsnaLabels labels{};
    for (int i = 0; i < rsna_label_count; ++i) {
      const std::string& text = fields[2 + i];
      if (text != "0" && text != "1") fail("label '" + text + "' is not 0 or 1");
      labels[i] = text == "1" ? 1.0f : 0.0f;
    }
    if (!table.emplace(std::make_pair(fields[0], fields[1]), labels).second)
      fail("series '" + fields[1] + "' of study '" + fields[0] + "' is listed twice");
  }
  return table;
}

}  // namespace ihd::data
