// RSNA CSV reading and writing.
#include "data/rsna_labels.h"

#include <algorithm>

#include "common/atomic_file.h"
#include "common/delimited.h"
#include "common/error.h"

namespace ihd::data {
namespace {

constexpr size_t kProblemsKept = 5;

int subtype_index(std::string_view name) {
  for (int i = 0; i < rsna_label_count; ++i)
    if (rsna_subtypes[i] == name) return i;
  return -1;
}

// What is known of one image while the file is read.
struct ImageLabels {
  RsnaLabels labels{};
  std::array<bool, rsna_label_count> seen{};
  bool has_bad_row = false;
};

}  // namespace

RsnaLabelTable read_rsna_labels(const std::filesystem::path& csv_path) {
  RecordReader reader(csv_path, TextFormat::csv, ErrorKind::bad_csv, 64 * 1024);
  std::vector<std::string> header;
  if (!reader.next(header)) throw Error(ErrorKind::bad_csv, csv_path.string(), "empty labels CSV");
  int id_column = -1, label_column = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    if (header[i] == "ID") id_column = i;
    if (header[i] == "Label") label_column = i;
  }
  if (id_column < 0 || label_column < 0)
    throw Error(ErrorKind::bad_csv, csv_path.string(),
                "header must have columns ID and Label, found '" +
                    join_record(header, TextFormat::csv) + "'");

  RsnaLabelTable table;
  auto note_problem = [&](const std::string& reason) {
    if (table.first_problems.size() < kProblemsKept)
      table.first_problems.push_back(csv_path.string() + ": line " +
                                     std::to_string(reader.line_number()) + ": " + reason);
  };
  std::map<std::string, ImageLabels> images;
  for (std::vector<std::string> fields; reader.next(fields);) {
    ++table.rows;
    if (static_cast<int>(fields.size()) <= std::max(id_column, label_column)) {
      ++table.malformed_rows;
      note_problem("too few fields");
      continue;
    }
    const std::string& row_id = fields[id_column];
    const auto underscore = row_id.rfind('_');
    const int subtype = underscore == std::string::npos || underscore == 0
                            ? -1
                            : subtype_index(std::string_view(row_id).substr(underscore + 1));
    if (subtype < 0) {
      ++table.malformed_rows;
      note_problem("ID '" + row_id + "' does not end in _<subtype>");
      continue;
    }
    ImageLabels& image = images[row_id.substr(0, underscore)];
    const std::string& text = fields[label_column];
    if (text != "0" && text != "1") {
      ++table.bad_label_rows;
      image.has_bad_row = true;
      note_problem("label '" + text + "' of " + row_id + " is not 0 or 1; the image is left out");
      continue;
    }
    const float label = text == "1" ? 1.0f : 0.0f;
    if (image.seen[subtype]) {
      if (image.labels[subtype] == label) {
        ++table.duplicate_rows;
      } else {
        ++table.conflicting_rows;
        image.labels[subtype] = 1.0f;
      }
      continue;
    }
    image.seen[subtype] = true;
    image.labels[subtype] = label;
  }
  for (auto& [image_id, image] : images) {
    if (image.has_bad_row || !image.seen[any_label_index]) {
      ++table.excluded_images;
      continue;
    }
    table.by_image.emplace(image_id, image.labels);
  }
  return table;
}

void write_rsna_labels(const std::filesystem::path& csv_path,
                       const std::vector<std::pair<std::string, RsnaLabels>>& images) {
  std::string out = "ID,Label\n";
  for (const auto& [image_id, labels] : images)
    for (int i = 0; i < rsna_label_count; ++i)
      out += csv_field(image_id + "_" + std::string(rsna_subtypes[i])) +
             (labels[i] > 0 ? ",1\n" : ",0\n");
  write_file_atomically(csv_path, out);
}

}  // namespace ihd::data
