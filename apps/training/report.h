// report.html of one training run: its configuration, the metric table at the best and the last
// epoch (train and validation, at threshold 0.5 and at the target-sensitivity threshold), the
// per-epoch figures (recall, precision, accuracy, loss, ROC AUC; one line per split), and the ROC
// curve, precision-recall curve and confusion matrices of the best epoch. Figures are inline SVG,
// so the page is one self-contained file; each is also written as SVG and PNG under plots/.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "apps/training/history.h"
#include "apps/training/metrics.h"
#include "apps/training/model_selection.h"
#include "apps/training/plot.h"

namespace ihd::training {

using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

// The curves of the best epoch on one split (the caller keeps that epoch's scores and labels).
struct BestEpochCurves {
  std::string split = "validation";
  RocCurve roc;
  PrecisionRecallCurve precision_recall;
  ThresholdMetrics at_default_threshold;
  SensitivityOperatingPoint at_target_sensitivity;
};
// Computes the curves and operating points from one split's scores and labels.
BestEpochCurves best_epoch_curves(const std::string& split, std::span<const double> scores,
                                  std::span<const int> labels, double target_sensitivity,
                                  double default_threshold = 0.5);

// A table of its own on the page (an evaluation's calibration, its two levels side by side).
struct ReportTable {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string note;  // a sentence under the table; empty: none
};

struct RunReport {
  std::string title = "ihd training run";
  ConfigEntries config;              // shown in the given order
  std::vector<EpochRecord> history;  // every epoch, every split
  SelectionRule selection = SelectionRule::kSpecificityAtTargetSensitivity;
  std::string selection_split = "validation";   // falls back to "train" when it has no record
  std::optional<BestEpochCurves> best_curves;   // no ROC/PR/confusion figures without it
  std::optional<BootstrapIntervals> intervals;  // shown under the table when present
  std::vector<ReportTable> tables;              // after the headline tables, in order
  std::vector<std::pair<std::string, LineChart>> charts;  // (file name, chart), after them
};

inline constexpr const char* kReportFileName = "report.html";
inline constexpr const char* kPlotsDirName = "plots";

// The per-epoch metrics drawn, in order; each is a history column.
const std::vector<std::string>& per_epoch_plot_metrics();

// Writes run_dir/report.html (atomically) and the figures under run_dir/plots/; returns the
// report's path.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir,
                                       const RunReport& report);

}  // namespace ihd::training
