// What ihd_eval reports beyond one split's headline metrics, each as a report table: calibration
// (per output: expected and maximum calibration error and Brier score of the raw probabilities
// and of the run's temperature-scaled ones, and the reliability diagram's 10 bins as a chart),
// the two stages side by side on the same slices (AUC, RSNA weighted log loss), and the study
// level (a series' probability is its highest `any`: ROC AUC, sensitivity and specificity at the
// run's study threshold, with bootstrap 95% intervals that resample studies).
#pragma once

#include <string>
#include <vector>

#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/sequence_data.h"
#include "apps/training/metrics.h"
#include "apps/training/report.h"

namespace ihd::pipeline {

// `raw` holds the logits (scores before calibration); `temperatures` one per output.
training::ReportTable calibration_table(const std::string& title, const Predictions& raw,
                                        const std::vector<std::string>& names,
                                        const std::vector<double>& temperatures);
// The reliability diagram of one output before and after its temperature, with the diagonal.
training::LineChart reliability_chart(const std::string& title, const Predictions& raw, int output,
                                      double temperature);

// "0.9123 [0.8901, 0.9345]".
std::string format_interval(const training::ConfidenceInterval& interval);

struct StudyEvaluation {
  std::string name;  // "slice model", "sequence stage"
  StudyScores studies;
  double threshold = 0.5;
  training::ThresholdMetrics at_threshold;
  training::BootstrapIntervals intervals;  // resampling studies
};
StudyEvaluation evaluate_studies(const std::string& name, const StudyScores& studies,
                                 double threshold, int bootstrap_resamples);

// One row per evaluation: slice AUC and weighted log loss (when six labels), study AUC with its
// interval, sensitivity and specificity at the threshold with theirs.
training::ReportTable levels_table(const std::vector<training::EpochRecord>& slice_records,
                                   const std::vector<StudyEvaluation>& studies);

}  // namespace ihd::pipeline
