// Calibration metrics: how far predicted probabilities ("scores") are from the frequencies they
// claim. A model that says 0.8 should be right 80% of the time; AUC cannot see this, a
// radiologist reading the number does. Pure functions of their inputs: no engine, no I/O.
//
// Definitions (n samples, scores p_i in [0, 1], labels y_i in {0, 1}):
// - Reliability diagram: kReliabilityBinCount = 10 equal-width bins over [0, 1] with the edges
//   e_k = k * 0.1 (numpy.linspace(0, 1, 11), bit for bit). Bin 0 holds [0, e_1], bin k > 0 holds
//   (e_k, e_{k+1}]: an edge belongs to the bin below it, p = 0 is in the first bin and p = 1 in the
//   last. This is scikit-learn's calibration_curve(y, p, n_bins=10, strategy='uniform')
//   (searchsorted on the interior edges, checked against scikit-learn 1.2.1). Per bin: its count
//   n_k, the mean score in it (mean_predicted) and the fraction of positive labels in it
//   (observed_positive_fraction). An empty bin has count 0 and both means NaN; scikit-learn
//   leaves such bins out of its arrays, we keep all ten so bin k is always bin k.
// - Expected calibration error: ECE = sum over non-empty bins of (n_k / n) * |observed_k -
//   predicted_k|. Maximum calibration error: MCE = the largest |observed_k - predicted_k| over the
//   non-empty bins. Both are NaN with no sample. Both depend on the binning; 10 uniform bins is
//   the common choice (Guo et al. 2017, "On calibration of modern neural networks").
// - Brier score: (1/n) * sum (p_i - y_i)^2, scikit-learn's brier_score_loss; NaN with no sample.
//   It needs no bins and is a proper scoring rule: lower is better, 0 is perfect.
//
// Inputs are checked: scores and labels of equal length, labels 0/1 (check_scores_and_labels in
// metrics.h), every score in [0, 1] (NaN is refused); otherwise std::invalid_argument.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "apps/training/metrics.h"

namespace ihd::training {

inline constexpr int kReliabilityBinCount = 10;

struct ReliabilityBin {
  double lower_edge = 0;  // excluded, except for the first bin
  double upper_edge = 0;  // included
  std::int64_t count = 0;
  double mean_predicted = kNotANumber;              // NaN when empty
  double observed_positive_fraction = kNotANumber;  // NaN when empty

  bool empty() const { return count == 0; }
};

struct ReliabilityDiagram {
  std::array<ReliabilityBin, kReliabilityBinCount> bins;
  std::int64_t sample_count = 0;
};

ReliabilityDiagram reliability_diagram(std::span<const double> scores, std::span<const int> labels);

double expected_calibration_error(const ReliabilityDiagram& diagram);
double maximum_calibration_error(const ReliabilityDiagram& diagram);

double brier_score(std::span<const double> scores, std::span<const int> labels);

// Everything above for one set of scores.
struct CalibrationSummary {
  ReliabilityDiagram diagram;
  double expected_calibration_error = kNotANumber;
  double maximum_calibration_error = kNotANumber;
  double brier_score = kNotANumber;
};
CalibrationSummary calibration_summary(std::span<const double> scores, std::span<const int> labels);

}  // namespace ihd::training
