// Binary-classification metrics for hemorrhage detection, computed from predicted probabilities
// ("scores") and 0/1 labels: confusion counts at a threshold and the rates built on them, ROC and
// precision-recall curves with their areas, the threshold that reaches a target sensitivity, log
// losses (plain and the RSNA weighted multi-label one), bootstrap confidence intervals and
// per-patient aggregation. Pure functions of their inputs: no engine, no I/O.
//
// Conventions, used everywhere below:
// - A sample is predicted positive when score >= threshold.
// - A ratio whose denominator is zero is 0 (precision with no positive prediction, recall with no
//   positive label, specificity with no negative label, F1 when precision + recall = 0, accuracy of
//   an empty set); this is scikit-learn's zero_division=0.
// - A quantity that is undefined rather than zero (ROC AUC or average precision when one class is
//   absent) is NaN.
// - Log losses clip probabilities to [kProbabilityClip, 1 - kProbabilityClip].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace ihd::training {

inline constexpr double kProbabilityClip = 1e-7;
inline constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

struct ConfusionCounts {
  std::int64_t true_positive = 0;
  std::int64_t false_positive = 0;
  std::int64_t true_negative = 0;
  std::int64_t false_negative = 0;

  std::int64_t positives() const { return true_positive + false_negative; }
  std::int64_t negatives() const { return true_negative + false_positive; }
  std::int64_t total() const { return positives() + negatives(); }
};

// Throws std::invalid_argument when scores and labels differ in length or a label is not 0/1;
// every function below that takes scores and labels checks them so.
void check_scores_and_labels(std::span<const double> scores, std::span<const int> labels);

ConfusionCounts confusion_at_threshold(std::span<const double> scores, std::span<const int> labels,
                                       double threshold);

double accuracy(const ConfusionCounts& counts);
double precision(const ConfusionCounts& counts);
double recall(const ConfusionCounts& counts);  // sensitivity, true-positive rate
double specificity(const ConfusionCounts& counts);
double f1_score(const ConfusionCounts& counts);

// Everything that depends on one threshold.
struct ThresholdMetrics {
  double threshold = 0.5;
  ConfusionCounts counts;
  double accuracy = 0;
  double precision = 0;
  double recall = 0;
  double specificity = 0;
  double f1 = 0;
};
ThresholdMetrics metrics_at_threshold(std::span<const double> scores, std::span<const int> labels,
                                      double threshold);

// ROC curve: one point per distinct score, thresholds descending, starting at (0, 0) with
// threshold +infinity and ending at (1, 1). Both rates are 0 when their class is absent.
struct RocCurve {
  std::vector<double> false_positive_rate;
  std::vector<double> true_positive_rate;
  std::vector<double> thresholds;
};
RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels);

// Exact area under the ROC curve as the Mann-Whitney statistic: the probability that a random
// positive scores above a random negative, ties counting one half. NaN if a class is absent.
double roc_auc(std::span<const double> scores, std::span<const int> labels);

// Precision-recall curve as scikit-learn's precision_recall_curve: one point per distinct score,
// thresholds ascending, recall decreasing; a final point (recall 0, precision 1) has no threshold.
struct PrecisionRecallCurve {
  std::vector<double> precision;
  std::vector<double> recall;
  std::vector<double> thresholds;  // one fewer than the points
};
PrecisionRecallCurve precision_recall_curve(std::span<const double> scores,
                                            std::span<const int> labels);

// Average precision, scikit-learn's definition: sum over thresholds of
// (recall_n - recall_{n-1}) * precision_n, no interpolation. NaN with no positive label.
double average_precision(std::span<const double> scores, std::span<const int> labels);

// The highest threshold (a score present in the data) whose recall >= target_sensitivity, and
// what it costs. reachable is false (threshold NaN) when there is no positive label.
struct SensitivityOperatingPoint {
  double target_sensitivity = 0.95;
  bool reachable = false;
  ThresholdMetrics at_threshold;
};
SensitivityOperatingPoint threshold_for_sensitivity(std::span<const double> scores,
                                                    std::span<const int> labels,
                                                    double target_sensitivity);

// Mean binary cross-entropy of probabilities, clipped as documented above.
double log_loss(std::span<const double> scores, std::span<const int> labels);

// The RSNA 2019 competition metric. Each row holds six probabilities (or labels) in the order of
// kRsnaSubtypes; each label's log loss is weighted by kRsnaSubtypeWeights (any = 2, others 1) and
// the result is the weighted mean over all rows and labels.
inline constexpr std::size_t kRsnaSubtypeCount = 6;
inline constexpr std::array<const char*, kRsnaSubtypeCount> kRsnaSubtypes = {
    "epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any"};
inline constexpr std::array<double, kRsnaSubtypeCount> kRsnaSubtypeWeights = {1, 1, 1, 1, 1, 2};
using RsnaRow = std::array<double, kRsnaSubtypeCount>;
using RsnaLabelRow = std::array<int, kRsnaSubtypeCount>;
double rsna_weighted_log_loss(std::span<const RsnaRow> probabilities,
                              std::span<const RsnaLabelRow> labels);

// Percentile bootstrap: resample (with replacement) samples of the same size, resample_count
// times, drawn by ihd::Random(seed); the interval is the 2.5th and 97.5th percentile
// (linear interpolation between order statistics, numpy's default). Resamples that miss a class
// are skipped for AUC only; valid_resamples says how many counted.
struct ConfidenceInterval {
  double estimate = kNotANumber;  // the statistic on the full sample
  double lower = kNotANumber;
  double upper = kNotANumber;
  int valid_resamples = 0;
};
struct BootstrapIntervals {
  ConfidenceInterval roc_auc;
  ConfidenceInterval sensitivity;  // at the given threshold
  ConfidenceInterval specificity;  // at the given threshold
};
BootstrapIntervals bootstrap_intervals(std::span<const double> scores, std::span<const int> labels,
                                       double threshold, int resample_count, std::uint64_t seed);

// Per-patient aggregation: a patient's score is the maximum over its slices and its label is 1
// if any slice is positive. Patients come out sorted by ID.
struct PatientScores {
  std::vector<std::string> patient_ids;
  std::vector<double> scores;
  std::vector<int> labels;
};
PatientScores aggregate_by_patient(std::span<const std::string> slice_patient_ids,
                                   std::span<const double> slice_scores,
                                   std::span<const int> slice_labels);

// The headline numbers of one split at one epoch: at the default threshold (0.5) and at the
// threshold that reaches the target sensitivity.
struct MetricSet {
  std::int64_t sample_count = 0;
  std::int64_t positive_count = 0;
  double log_loss = kNotANumber;
  double roc_auc = kNotANumber;
  double pr_auc = kNotANumber;  // average precision
  ThresholdMetrics at_default_threshold;
  SensitivityOperatingPoint at_target_sensitivity;
};
MetricSet compute_metric_set(std::span<const double> scores, std::span<const int> labels,
                             double target_sensitivity, double default_threshold = 0.5);

}  // namespace ihd::training
