// The RSNA label CSV: header "ID,Label", then six rows per image, "ID_<image>_<subtype>,<0|1>",
// for the subtypes below in this order. Reading tolerates duplicate rows (equal ones are ignored;
// conflicting ones keep the positive label, since a missed bleed is the worst error, and are
// counted) and counts rows it cannot parse. Writing produces the same format.
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
  size_t duplicate_rows = 0;    // repeated with the same value
  size_t conflicting_rows = 0;  // repeated with a different value (positive kept)
  size_t malformed_rows = 0;    // skipped: no known subtype suffix or unparseable label
};

// Throws Error (bad_csv) when the file cannot be read or lacks the ID/Label columns.
RsnaLabelTable read_rsna_labels(const std::filesystem::path& csv_path);

// Writes rows in RSNA order (image by image, the six subtypes each), atomically.
void write_rsna_labels(const std::filesystem::path& csv_path,
                       const std::vector<std::pair<std::string, RsnaLabels>>& images);

}  // namespace ihd::data
