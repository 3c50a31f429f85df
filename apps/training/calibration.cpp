// Calibration metrics; see calibration.h for the bins, their edges and the definitions. One pass
// sums scores and positives per bin; the errors are read off the bins.
#include "apps/training/calibration.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ihd::training {
namespace {

void check_probabilities(std::span<const double> scores) {
  for (const double score : scores) {
    if (!(score >= 0 && score <= 1)) {
      throw std::invalid_argument("calibration: score " + std::to_string(score) +
                                  " is not a probability in [0, 1]");
    }
  }
}

// numpy.linspace(0, 1, kReliabilityBinCount + 1)[k]: k times the step, the last edge exactly 1.
double bin_edge(int k) {
  if (k == kReliabilityBinCount) return 1.0;
  return static_cast<double>(k) * (1.0 / kReliabilityBinCount);
}

// The number of interior edges strictly below the score (numpy.searchsorted, side 'left').
int bin_of(double score) {
  int bin = 0;
  while (bin + 1 < kReliabilityBinCount && bin_edge(bin + 1) < score) ++bin;
  return bin;
}

}  // namespace

ReliabilityDiagram reliability_diagram(std::span<const double> scores,
                                       std::span<const int> labels) {
  check_scores_and_labels(scores, labels);
  check_probabilities(scores);
  std::array<double, kReliabilityBinCount> score_sums{};
  std::array<std::int64_t, kReliabilityBinCount> positives{};
  ReliabilityDiagram diagram;
  for (int k = 0; k < kReliabilityBinCount; ++k) {
    diagram.bins[k].lower_edge = bin_edge(k);
    diagram.bins[k].upper_edge = bin_edge(k + 1);
  }
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const int k = bin_of(scores[i]);
    diagram.bins[k].count += 1;
    score_sums[k] += scores[i];
    positives[k] += labels[i];
  }
  for (int k = 0; k < kReliabilityBinCount; ++k) {
    ReliabilityBin& bin = diagram.bins[k];
    if (bin.empty()) continue;
    bin.mean_predicted = score_sums[k] / static_cast<double>(bin.count);
    bin.observed_positive_fraction =
        static_cast<double>(positives[k]) / static_cast<double>(bin.count);
  }
  diagram.sample_count = static_cast<std::int64_t>(scores.size());
  return diagram;
}

double expected_calibration_error(const ReliabilityDiagram& diagram) {
  if (diagram.sample_count == 0) return kNotANumber;
  double error = 0;
  for (const ReliabilityBin& bin : diagram.bins) {
    if (bin.empty()) continue;
    error += static_cast<double>(bin.count) / static_cast<double>(diagram.sample_count) *
             std::abs(bin.observed_positive_fraction - bin.mean_predicted);
  }
  return error;
}

double maximum_calibration_error(const ReliabilityDiagram& diagram) {
  if (diagram.sample_count == 0) return kNotANumber;
  double error = 0;
  for (const ReliabilityBin& bin : diagram.bins) {
    if (bin.empty()) continue;
    error = std::max(error, std::abs(bin.observed_positive_fraction - bin.mean_predicted));
  }
  return error;
}

double brier_score(std::span<const double> scores, std::span<const int> labels) {
  check_scores_and_labels(scores, labels);
  check_probabilities(scores);
  if (scores.empty()) return kNotANumber;
  double sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double difference = scores[i] - labels[i];
    sum += difference * difference;
  }
  return sum / static_cast<double>(scores.size());
}

CalibrationSummary calibration_summary(std::span<const double> scores,
                                       std::span<const int> labels) {
  CalibrationSummary summary;
  summary.diagram = reliability_diagram(scores, labels);
  summary.expected_calibration_error = expected_calibration_error(summary.diagram);
  summary.maximum_calibration_error = maximum_calibration_error(summary.diagram);
  summary.brier_score = brier_score(scores, labels);
  return summary;
}

}  // namespace ihd::training
