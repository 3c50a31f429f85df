// Per-epoch charts and the names of the metrics; see epoch_charts.h. The metrics at threshold 0.5
// say so in their titles: the operating threshold of a run is another one (report.h).
#include "apps/training/epoch_charts.h"

#include <algorithm>
#include <array>

namespace ihd::training {
namespace {

// "subdural_roc_auc" -> "subdural ROC AUC": words apart, abbreviations in capitals.
std::string readable_name(std::string_view column) {
  static const std::array<std::pair<std::string_view, std::string_view>, 5> abbreviations = {
      {{"roc", "ROC"}, {"auc", "AUC"}, {"pr", "PR"}, {"rsna", "RSNA"}, {"f1", "F1"}}};
  std::string name;
  std::size_t start = 0;
  while (start <= column.size()) {
    const std::size_t end = std::min(column.find('_', start), column.size());
    std::string_view word = column.substr(start, end - start);
    for (const auto& [lower, upper] : abbreviations) {
      if (word == lower) word = upper;
    }
    if (!name.empty()) name += ' ';
    name += word;
    start = end + 1;
  }
  return name;
}

}  // namespace

EpochMetric epoch_metric(std::string_view column) {
  static const std::array<EpochMetric, 10> metrics = {{
      {"roc_auc", "ROC AUC", "ROC AUC", true},
      {"pr_auc", "PR AUC (average precision)", "PR AUC", true},
      {"loss", "Loss", "loss", false},
      {"recall", "Recall (sensitivity) at threshold 0.5", "recall (sensitivity)", true},
      {"precision", "Precision at threshold 0.5", "precision", true},
      {"accuracy", "Accuracy at threshold 0.5", "accuracy", true},
      {"specificity", "Specificity at threshold 0.5", "specificity", true},
      {"f1", "F1 at threshold 0.5", "F1", true},
      {"target_specificity", "Specificity at the target sensitivity", "specificity", true},
      {"target_threshold", "Operating threshold (reaches the target sensitivity)", "threshold",
       true},
  }};
  for (const EpochMetric& metric : metrics) {
    if (metric.column == column) return metric;
  }
  const std::string name = readable_name(column);
  return {std::string(column), name, name, false};
}

LineChart epoch_chart(std::string_view column, const std::vector<EpochLine>& lines,
                      std::optional<int> selected_epoch, const std::string& title) {
  const EpochMetric metric = epoch_metric(column);
  LineChart chart;
  chart.title = title.empty() ? metric.title + " per epoch" : title;
  chart.x_label = "epoch";
  chart.y_label = metric.axis_label;
  chart.integer_x_ticks = true;
  if (metric.unit_interval) {
    chart.y_min = 0;
    chart.y_max = 1;
  }
  for (const auto& [name, records] : lines) {
    Series series{name, {}, {}};
    for (const EpochRecord& r : records) {
      series.x.push_back(r.epoch);
      series.y.push_back(history_value(r, metric.column));
    }
    chart.series.push_back(std::move(series));
  }
  if (selected_epoch) {
    chart.x_marker = VerticalMarker{static_cast<double>(*selected_epoch),
                                    "selected: epoch " + std::to_string(*selected_epoch)};
  }
  return chart;
}

}  // namespace ihd::training
