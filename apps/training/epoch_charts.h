// Per-epoch charts, shared by the run report and the sweep report: one metric (a history column)
// per chart, one line per split or per learning rate, ticks at whole epochs, the metric under a
// name people read ("ROC AUC", "recall (sensitivity)"), and a marker on the selected epoch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/training/history.h"
#include "apps/training/plot.h"

namespace ihd::training {

// How a history column is shown.
struct EpochMetric {
  std::string column;      // "roc_auc", as history.h names it
  std::string title;       // "ROC AUC", for chart titles and tables
  std::string axis_label;  // "ROC AUC", short enough for the y axis
  bool unit_interval = true;  // drawn on [0, 1]
};

// The description of a history column; one it does not know (an extra such as
// "subdural_roc_auc") is shown under its name with words apart ("subdural ROC AUC"), unbounded.
EpochMetric epoch_metric(std::string_view column);

// One named line of records (a split's records, or one learning rate's).
using EpochLine = std::pair<std::string, std::vector<EpochRecord>>;

// The chart of `column` per epoch, one series per line, titled title (empty: the metric's title
// and "per epoch"); with selected_epoch, a dashed line there labelled "selected: epoch N".
LineChart epoch_chart(std::string_view column, const std::vector<EpochLine>& lines,
                      std::optional<int> selected_epoch, const std::string& title = "");

}  // namespace ihd::training
