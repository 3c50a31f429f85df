// Series-level ground truth of the synthetic set: series_labels.csv beside stage_2_train.csv, one
// row per CT series, header "study,series,epidural,intraparenchymal,intraventricular,
// subarachnoid,subdural,any", each label the maximum over the series' slices (a series shows a
// subtype when any of its slices does), so that a sequence stage has study-level targets to train
// and be measured on. Reading is strict, since ihd writes the file: any other header, field count,
// label than exactly 0 or 1, or a series named twice is Error bad_csv naming the line.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/rsna_labels.h"

namespace ihd::data {

struct SeriesLabels {
  std::string study_id;
  std::string series_id;
  RsnaLabels labels{};
};

// Writes atomically, rows in the order given. Throws Error (io).
void write_series_labels(const std::filesystem::path& csv_path,
                         const std::vector<SeriesLabels>& series);

// (study, series) -> labels. Throws Error (bad_csv).
std::map<std::pair<std::string, std::string>, RsnaLabels> read_series_labels(
    const std::filesystem::path& csv_path);

}  // namespace ihd::data
