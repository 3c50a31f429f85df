// What ihd_eval reports beyond the metrics of each level, as report tables and charts: calibration
// (per output: expected and maximum calibration error and Brier score of the raw probabilities
// and of the run's temperature-scaled ones, and the reliability diagram's 10 bins as a chart),
// and the two stages side by side on the same slices (AUC, RSNA weighted log loss) and at the
// study level (a series' probability is its highest `any`: ROC AUC, sensitivity and specificity
// at the run's study threshold, with bootstrap 95% intervals that resample studies).
#pragma once

#include <string>
#include <vector>

#include "apps/pipeline/evaluation.h"
#include "apps/training/eval_report.h"

namespace ihd::pipeline {

// `raw` holds the logits (scores before calibration); `temperatures` one per output.
training::ReportTable calibration_table(const std::string& title, const Predictions& raw,
                                        const std::vector<std::string>& names,
                                        const std::vector<double>& temperatures);
// The reliability diagram of one output before and after its temperature, with the diagonal.
training::LineChart reliability_chart(const std::string& title, const Predictions& raw, int output,
                                      double temperature);

// One row per evaluation: slice AUC and weighted log loss (when six labels), study AUC with its
// interval, sensitivity and specificity at the threshold with theirs. `studies` holds each
// evaluation's study level (study scores at the study threshold), in the order of slice_records.
training::ReportTable levels_table(const std::vector<training::EpochRecord>& slice_records,
                                   const std::vector<training::EvaluatedLevel>& studies);

}  // namespace ihd::pipeline
