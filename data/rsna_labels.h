// The RSNA label CSV: header "ID,Label", then six rows per image, "ID_<image>_<subtype>,<0|1>",
// for the subtypes below in this order. A label is exactly 0 or 1: a row with anything else
// (nan, inf, 2, -1, 0.5, a blank) is that row's error, counted, and the image it belongs to is
// left out, as is an image without an `any` row: a label that is not known is never guessed.
// Duplicate rows are tolerated (equal ones are ignored; conflicting ones keep the positive label,
// since a missed bleed is the worst error, and are counted); rows without a known subtype suffix
// are counted and skipped. Writing produces the same format, IDs quoted where CSV needs it.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ihd::data {

inline constexpr int rsna_label_count = 6;
inline constexpr std::array<std::string_view, rsna_label_count> rsna_subtypes = {
    "epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any"};
inline constexpr int any_label_index = 5;

using RsnaLabels = std::array<float, rsna_label_count>;

struct RsnaLabelTable {
  std::map<std::string, RsnaLabels> by_image;  // key: image ID as in the file name, "ID_<image>"
  size_t rows = 0;
  size_t duplicate_rows = 0;                // repeated with the same value
  size_t conflicting_rows = 0;              // repeated with a different value (positive kept)
  size_t malformed_rows = 0;                // skipped: too few fields or no known subtype suffix
  size_t bad_label_rows = 0;                // a label that is not exactly 0 or 1
  size_t excluded_images = 0;               // left out: a bad label row, or no `any` row
  std::vector<std::string> first_problems;  // "<file>: line N: <reason>", the first few
};

// Throws Error (bad_csv) when the file cannot be read or lacks the ID/Label columns.
RsnaLabelTable read_rsna_labels(const std::filesystem::path& csv_path);

// Writes rows in RSNA order (image by image, the six subtypes each), atomically.
void write_rsna_labels(const std::filesystem::path& csv_path,
                       const std::vector<std::pair<std::string, RsnaLabels>>& images);

}  // namespace ihd::data
