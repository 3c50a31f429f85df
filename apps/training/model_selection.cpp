// Ranking of epochs and learning rates; see model_selection.h.
#include "apps/training/model_selection.h"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace ihd::training {
namespace {

double nan_lowest(double value) {
  return std::isnan(value) ? -std::numeric_limits<double>::infinity() : value;
}

}  // namespace

SelectionRule parse_selection_rule(std::string_view name) {
  if (name == "specificity") return SelectionRule::kSpecificityAtTargetSensitivity;
  if (name == "recall") return SelectionRule::kRecallPrecisionAccuracy;
  if (name == "auc") return SelectionRule::kRocAuc;
  throw std::invalid_argument("unknown selection rule '" + std::string(name) +
                              "': expected specificity, recall or auc");
}

std::string_view describe_selection_rule(SelectionRule rule) {
  switch (rule) {
    case SelectionRule::kSpecificityAtTargetSensitivity:
      return "specificity at the target sensitivity, then ROC AUC";
    case SelectionRule::kRecallPrecisionAccuracy:
      return "recall, then precision, then accuracy (at threshold 0.5)";
    case SelectionRule::kRocAuc:
      return "ROC AUC";
  }
  return "";
}

bool ranks_above(const EpochRecord& a, const EpochRecord& b, SelectionRule rule) {
  const auto keys = [rule](const EpochRecord& r) {
    const ThresholdMetrics& m = r.metrics.at_default_threshold;
    switch (rule) {
      case SelectionRule::kSpecificityAtTargetSensitivity: {
        const SensitivityOperatingPoint& target = r.metrics.at_target_sensitivity;
        const double specificity = target.reachable ? target.at_threshold.specificity : kNotANumber;
        return std::array<double, 3>{nan_lowest(specificity), nan_lowest(r.metrics.roc_auc),
                                     nan_lowest(-r.metrics.log_loss)};
      }
      case SelectionRule::kRocAuc:
        return std::array<double, 3>{nan_lowest(r.metrics.roc_auc), nan_lowest(m.recall),
                                     nan_lowest(m.precision)};
      case SelectionRule::kRecallPrecisionAccuracy:
        break;
    }
    return std::array<double, 3>{nan_lowest(m.recall), nan_lowest(m.precision),
                                 nan_lowest(m.accuracy)};
  };
  return keys(a) > keys(b);
}

std::optional<std::size_t> best_record_index(std::span<const EpochRecord> records,
                                             std::string_view split, SelectionRule rule) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].split != split) continue;
    if (!best || ranks_above(records[i], records[*best], rule)) best = i;
  }
  return best;
}

double best_record_threshold(std::span<const EpochRecord> records, std::string_view split,
                             SelectionRule rule) {
  const auto best = best_record_index(records, split, rule);
  if (!best) return 0.5;
  const SensitivityOperatingPoint& point = records[*best].metrics.at_target_sensitivity;
  return point.reachable ? point.at_threshold.threshold : 0.5;
}

}  // namespace ihd::training
