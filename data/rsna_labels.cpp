// RSNA CSV reading and writing.
#include "data/rsna_labels.h"

#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::data {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    if (!field.empty() && field.back() == '\r') field.pop_back();
    fields.push_back(field);
  }
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

int subtype_index(std::string_view name) {
  for (int i = 0; i < rsna_label_count; ++i)
    if (rsna_subtypes[i] == name) return i;
  return -1;
}

}  // namespace

RsnaLabelTable read_rsna_labels(const std::filesystem::path& csv_path) {
  std::ifstream in(csv_path);
  if (!in) throw Error(ErrorKind::bad_csv, csv_path.string(), "cannot open labels CSV");
  std::string line;
  if (!std::getline(in, line))
    throw Error(ErrorKind::bad_csv, csv_path.string(), "empty labels CSV");
  const auto header = split_csv_line(line);
  int id_column = -1, label_column = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    if (header[i] == "ID") id_column = i;
    if (header[i] == "Label") label_column = i;
  }
  if (id_column < 0 || label_column < 0)
    throw Error(ErrorKind::bad_csv, csv_path.string(),
                "header must have columns ID and Label, found '" + line + "'");

  RsnaLabelTable table;
  std::map<std::string, std::array<bool, rsna_label_count>> seen;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    ++table.rows;
    const auto fields = split_csv_line(line);
    if (static_cast<int>(fields.size()) <= std::max(id_column, label_column)) {
      ++table.malformed_rows;
      continue;
    }
    const std::string& row_id = fields[id_column];
    const auto underscore = row_id.rfind('_');
    int subtype =
        underscore == std::string::npos ? -1 : subtype_index(row_id.substr(underscore + 1));
    float label = 0;
    try {
      size_t used = 0;
      label = std::stof(fields[label_column], &used);
      if (used != fields[label_column].size()) subtype = -1;
    } catch (const std::exception&) {
      ++table.malformed_rows;
      continue;
    }
    if (subtype < 0 || underscore == 0) {
      ++table.malformed_rows;
      continue;
    }
    const std::string image_id = row_id.substr(0, underscore);
    auto& labels = table.by_image.try_emplace(image_id, RsnaLabels{}).first->second;
    auto& was_seen = seen.try_emplace(image_id, std::array<bool, rsna_label_count>{}).first->second;
    if (was_seen[subtype]) {
      if (labels[subtype] == label) {
        ++table.duplicate_rows;
      } else {
        ++table.conflicting_rows;
        labels[subtype] = std::max(labels[subtype], label);
      }
      continue;
    }
    was_seen[subtype] = true;
    labels[subtype] = label;
  }
  return table;
}

void write_rsna_labels(const std::filesystem::path& csv_path,
                       const std::vector<std::pair<std::string, RsnaLabels>>& images) {
  std::ostringstream out;
  out << "ID,Label\n";
  for (const auto& [image_id, labels] : images)
    for (int i = 0; i < rsna_label_count; ++i)
      out << image_id << '_' << rsna_subtypes[i] << ',' << labels[i] << '\n';
  write_file_atomically(csv_path, out.str());
}

}  // namespace ihd::data
