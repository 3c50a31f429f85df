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
  if (name == "recall") return SelectionRule::kRecallPrecisionAccuracy;
  if (name == "auc") return SelectionRule::kRocAuc;
  throw std::invalid_argument("unknown selection rule '" + std::string(name) +
                              "': expected recall or auc");
}

bool ranks_above(const EpochRecord& a, const EpochRecord& b, SelectionRule rule) {
  const auto keys = [rule](const EpochRecord& r) {
    const ThresholdMetrics& m = r.metrics.at_default_threshold;
    if (rule == SelectionRule::kRocAuc) {
      return std::array<double, 3>{nan_lowest(r.metrics.roc_auc), nan_lowest(m.recall),
                                   nan_lowest(m.precision)};
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

}  // namespace ihd::training
