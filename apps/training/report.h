// report.html of one training run, in the order a reader asks: the result first (the selected
// epoch and how it was selected, the operating threshold, its metrics there and at 0.5, the ROC
// and precision-recall curves with the operating point marked, the confusion matrices), then the
// per-epoch charts (ROC AUC, specificity at the target sensitivity, the operating threshold,
// recall, precision, accuracy, loss; one line per split, the selected epoch marked), then the
// configuration and every epoch's numbers, both collapsed. Figures are embedded (html_page.h), so
// the page is one self-contained file; each is also written as SVG and PNG under plots/.
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

namespace ihd::training {

// (setting, value) pairs, shown in the given order; the caller lists the settings that applied.
using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

// The curves of the selected epoch on one split (the caller keeps that epoch's scores and labels).
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

struct RunReport {
  std::string title = "ihd training run";
  ConfigEntries config;              // the settings that applied, in order
  std::vector<EpochRecord> history;  // every epoch, every split
  SelectionRule selection = SelectionRule::kSpecificityAtTargetSensitivity;
  std::string selection_split = "validation";  // falls back to "train" when it has no record
  std::optional<BestEpochCurves> best_curves;  // no ROC/PR/confusion figures without it
  // The operating threshold on the temperature-scaled probabilities (config.json's
  // decision_threshold, what ihd_predict and ihd_eval apply), once the run is calibrated; the
  // headline shows it beside the selected epoch's own and says why they differ.
  std::optional<double> calibrated_threshold;
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
