// Binary-classification metrics; see metrics.h for the conventions (threshold rule, zero
// denominators, NaN for undefined areas, probability clipping). The curves share one pass over
// the samples sorted by descending score, accumulating true/false positives per distinct score.
#include "apps/training/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

#include "common/random.h"

namespace ihd::training {
namespace {

double ratio_or_zero(double numerator, double denominator) {
  return denominator == 0 ? 0.0 : numerator / denominator;
}

// Cumulative counts at each distinct score, scores descending: entry i counts the samples with
// score >= distinct_scores[i].
struct CumulativeCounts {
  std::vector<double> distinct_scores;
  std::vector<std::int64_t> true_positives;
  std::vector<std::int64_t> false_positives;
  std::int64_t positives = 0;
  std::int64_t negatives = 0;
};

CumulativeCounts cumulative_counts(std::span<const double> scores, std::span<const int> labels) {
  check_scores_and_labels(scores, labels);
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  CumulativeCounts result;
  std::int64_t tp = 0;
  std::int64_t fp = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    (labels[order[i]] == 1 ? tp : fp) += 1;
    const bool last_of_its_score =
        i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (last_of_its_score) {
      result.distinct_scores.push_back(scores[order[i]]);
      result.true_positives.push_back(tp);
      result.false_positives.push_back(fp);
    }
  }
  result.positives = tp;
  result.negatives = fp;
  return result;
}

double clipped(double probability) {
  return std::clamp(probability, kProbabilityClip, 1.0 - kProbabilityClip);
}

double binary_cross_entropy(double probability, int label) {
  const double p = clipped(probability);
  return label == 1 ? -std::log(p) : -std::log(1.0 - p);
}

// numpy.percentile's default: linear interpolation between the order statistics.
double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return kNotANumber;
  std::sort(values.begin(), values.end());
  const double position = fraction * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double weight = position - static_cast<double>(below);
  return values[below] + weight * (values[above] - values[below]);
}

ConfidenceInterval interval_from(double estimate, std::vector<double> resampled) {
  ConfidenceInterval interval;
  interval.estimate = estimate;
  interval.valid_resamples = static_cast<int>(resampled.size());
  interval.lower = percentile(resampled, 0.025);
  interval.upper = percentile(std::move(resampled), 0.975);
  return interval;
}

}  // namespace

void check_scores_and_labels(std::span<const double> scores, std::span<const int> labels) {
  if (scores.size() != labels.size()) {
    throw std::invalid_argument("metrics: " + std::to_string(scores.size()) + " scores but " +
                                std::to_string(labels.size()) + " labels");
  }
  for (int label : labels) {
    if (label != 0 && label != 1) {
      throw std::invalid_argument("metrics: label " + std::to_string(label) + " is not 0 or 1");
    }
  }
}

ConfusionCounts confusion_at_threshold(std::span<const double> scores, std::span<const int> labels,
                                       double threshold) {
  check_scores_and_labels(scores, labels);
  ConfusionCounts counts;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool predicted_positive = scores[i] >= threshold;
    if (labels[i] == 1) {
      (predicted_positive ? counts.true_positive : counts.false_negative) += 1;
    } else {
      (predicted_positive ? counts.false_positive : counts.true_negative) += 1;
    }
  }
  return counts;
}

double accuracy(const ConfusionCounts& c) {
  return ratio_or_zero(static_cast<double>(c.true_positive + c.true_negative),
                       static_cast<double>(c.total()));
}

double precision(const ConfusionCounts& c) {
  return ratio_or_zero(static_cast<double>(c.true_positive),
                       static_cast<double>(c.true_positive + c.false_positive));
}

double recall(const ConfusionCounts& c) {
  return ratio_or_zero(static_cast<double>(c.true_positive), static_cast<double>(c.positives()));
}

double specificity(const ConfusionCounts& c) {
  return ratio_or_zero(static_cast<double>(c.true_negative), static_cast<double>(c.negatives()));
}

double f1_score(const ConfusionCounts& c) {
  const double p = precision(c);
  const double r = recall(c);
  return ratio_or_zero(2 * p * r, p + r);
}

ThresholdMetrics metrics_at_threshold(std::span<const double> scores, std::span<const int> labels,
                                      double threshold) {
  ThresholdMetrics m;
  m.threshold = threshold;
  m.counts = confusion_at_threshold(scores, labels, threshold);
  m.accuracy = accuracy(m.counts);
  m.precision = precision(m.counts);
  m.recall = recall(m.counts);
  m.specificity = specificity(m.counts);
  m.f1 = f1_score(m.counts);
  return m;
}

RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels) {
  const CumulativeCounts counts = cumulative_counts(scores, labels);
  RocCurve curve;
  curve.false_positive_rate.push_back(0);
  curve.true_positive_rate.push_back(0);
  curve.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < counts.distinct_scores.size(); ++i) {
    curve.false_positive_rate.push_back(ratio_or_zero(
        static_cast<double>(counts.false_positives[i]), static_cast<double>(counts.negatives)));
    curve.true_positive_rate.push_back(ratio_or_zero(static_cast<double>(counts.true_positives[i]),
                                                     static_cast<double>(counts.positives)));
    curve.thresholds.push_back(counts.distinct_scores[i]);
  }
  return curve;
}

double roc_auc(std::span<const double> scores, std::span<const int> labels) {
  check_scores_and_labels(scores, labels);
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Sum of the (1-based, tie-averaged) ranks of the positives.
  double positive_rank_sum = 0;
  std::int64_t positives = 0;
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    std::int64_t positives_in_tie = 0;
    while (end < order.size() && scores[order[end]] == scores[order[start]]) {
      positives_in_tie += labels[order[end]];
      ++end;
    }
    const double mid_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    positive_rank_sum += mid_rank * static_cast<double>(positives_in_tie);
    positives += positives_in_tie;
    start = end;
  }
  const auto negatives = static_cast<std::int64_t>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return kNotANumber;
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

PrecisionRecallCurve precision_recall_curve(std::span<const double> scores,
                                            std::span<const int> labels) {
  const CumulativeCounts counts = cumulative_counts(scores, labels);
  PrecisionRecallCurve curve;
  for (std::size_t i = counts.distinct_scores.size(); i-- > 0;) {
    const auto tp = static_cast<double>(counts.true_positives[i]);
    const auto fp = static_cast<double>(counts.false_positives[i]);
    curve.precision.push_back(ratio_or_zero(tp, tp + fp));
    curve.recall.push_back(ratio_or_zero(tp, static_cast<double>(counts.positives)));
    curve.thresholds.push_back(counts.distinct_scores[i]);
  }
  curve.precision.push_back(1);
  curve.recall.push_back(0);
  return curve;
}

double average_precision(std::span<const double> scores, std::span<const int> labels) {
  const CumulativeCounts counts = cumulative_counts(scores, labels);
  if (counts.positives == 0) return kNotANumber;
  double area = 0;
  double previous_recall = 0;
  for (std::size_t i = 0; i < counts.distinct_scores.size(); ++i) {
    const auto tp = static_cast<double>(counts.true_positives[i]);
    const double r = tp / static_cast<double>(counts.positives);
    const double p = tp / (tp + static_cast<double>(counts.false_positives[i]));
    area += (r - previous_recall) * p;
    previous_recall = r;
  }
  return area;
}

SensitivityOperatingPoint threshold_for_sensitivity(std::span<const double> scores,
                                                    std::span<const int> labels,
                                                    double target_sensitivity) {
  const CumulativeCounts counts = cumulative_counts(scores, labels);
  SensitivityOperatingPoint point;
  point.target_sensitivity = target_sensitivity;
  point.at_threshold.threshold = kNotANumber;
  if (counts.positives == 0) return point;
  for (std::size_t i = 0; i < counts.distinct_scores.size(); ++i) {
    const double r =
        static_cast<double>(counts.true_positives[i]) / static_cast<double>(counts.positives);
    if (r >= target_sensitivity) {
      point.reachable = true;
      point.at_threshold = metrics_at_threshold(scores, labels, counts.distinct_scores[i]);
      return point;
    }
  }
  return point;
}

double log_loss(std::span<const double> scores, std::span<const int> labels) {
  check_scores_and_labels(scores, labels);
  if (scores.empty()) return kNotANumber;
  double sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) sum += binary_cross_entropy(scores[i], labels[i]);
  return sum / static_cast<double>(scores.size());
}

double rsna_weighted_log_loss(std::span<const RsnaRow> probabilities,
                              std::span<const RsnaLabelRow> labels) {
  if (probabilities.size() != labels.size()) {
    throw std::invalid_argument("rsna_weighted_log_loss: " + std::to_string(probabilities.size()) +
                                " probability rows but " + std::to_string(labels.size()) +
                                " label rows");
  }
  if (probabilities.empty()) return kNotANumber;
  double weighted_sum = 0;
  for (std::size_t row = 0; row < probabilities.size(); ++row) {
    for (std::size_t k = 0; k < kRsnaSubtypeCount; ++k) {
      check_scores_and_labels(std::span(&probabilities[row][k], 1), std::span(&labels[row][k], 1));
      weighted_sum +=
          kRsnaSubtypeWeights[k] * binary_cross_entropy(probabilities[row][k], labels[row][k]);
    }
  }
  const double weight_per_row =
      std::accumulate(kRsnaSubtypeWeights.begin(), kRsnaSubtypeWeights.end(), 0.0);
  return weighted_sum / (weight_per_row * static_cast<double>(probabilities.size()));
}

BootstrapIntervals bootstrap_intervals(std::span<const double> scores, std::span<const int> labels,
                                       double threshold, int resample_count, std::uint64_t seed) {
  check_scores_and_labels(scores, labels);
  BootstrapIntervals result;
  const ConfusionCounts full = confusion_at_threshold(scores, labels, threshold);
  if (scores.empty()) return result;
  Random random(seed);
  std::vector<double> resampled_scores(scores.size());
  std::vector<int> resampled_labels(scores.size());
  std::vector<double> aucs, sensitivities, specificities;
  for (int r = 0; r < resample_count; ++r) {
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const std::size_t j = random.below(scores.size());
      resampled_scores[i] = scores[j];
      resampled_labels[i] = labels[j];
    }
    const ConfusionCounts c = confusion_at_threshold(resampled_scores, resampled_labels, threshold);
    if (c.positives() > 0) sensitivities.push_back(recall(c));
    if (c.negatives() > 0) specificities.push_back(specificity(c));
    if (c.positives() > 0 && c.negatives() > 0) {
      aucs.push_back(roc_auc(resampled_scores, resampled_labels));
    }
  }
  result.roc_auc = interval_from(roc_auc(scores, labels), std::move(aucs));
  result.sensitivity = interval_from(recall(full), std::move(sensitivities));
  result.specificity = interval_from(specificity(full), std::move(specificities));
  return result;
}

PatientScores aggregate_by_patient(std::span<const std::string> slice_patient_ids,
                                   std::span<const double> slice_scores,
                                   std::span<const int> slice_labels) {
  check_scores_and_labels(slice_scores, slice_labels);
  if (slice_patient_ids.size() != slice_scores.size()) {
    throw std::invalid_argument(
        "aggregate_by_patient: " + std::to_string(slice_patient_ids.size()) + " patient IDs but " +
        std::to_string(slice_scores.size()) + " scores");
  }
  std::map<std::string, std::pair<double, int>> by_patient;
  for (std::size_t i = 0; i < slice_scores.size(); ++i) {
    auto [entry, inserted] =
        by_patient.try_emplace(slice_patient_ids[i], slice_scores[i], slice_labels[i]);
    if (!inserted) {
      entry->second.first = std::max(entry->second.first, slice_scores[i]);
      entry->second.second = std::max(entry->second.second, slice_labels[i]);
    }
  }
  PatientScores patients;
  for (const auto& [id, score_and_label] : by_patient) {
    patients.patient_ids.push_back(id);
    patients.scores.push_back(score_and_label.first);
    patients.labels.push_back(score_and_label.second);
  }
  return patients;
}

MetricSet compute_metric_set(std::span<const double> scores, std::span<const int> labels,
                             double target_sensitivity, double default_threshold) {
  MetricSet set;
  set.at_default_threshold = metrics_at_threshold(scores, labels, default_threshold);
  set.sample_count = set.at_default_threshold.counts.total();
  set.positive_count = set.at_default_threshold.counts.positives();
  set.log_loss = log_loss(scores, labels);
  set.roc_auc = roc_auc(scores, labels);
  set.pr_auc = average_precision(scores, labels);
  set.at_target_sensitivity = threshold_for_sensitivity(scores, labels, target_sensitivity);
  return set;
}

}  // namespace ihd::training
