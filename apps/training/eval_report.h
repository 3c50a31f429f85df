// report.html of an evaluation (ihd_eval): what was evaluated, then the metrics of each level
// (slices, patients, studies) at the run's threshold with their bootstrap 95% confidence
// intervals, the ROC and precision-recall curves with the operating points marked, a confusion
// matrix per level at that threshold, the per-patient decisions (errors first, collapsed), and
// the sections the caller adds (calibration tables and reliability charts; for a two-stage run
// both stages side by side). One evaluation has no epochs, so the page has no per-epoch part.
// Figures are embedded and also written under plots/, as on the training page (html_page.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "apps/training/html_page.h"
#include "apps/training/metrics.h"
#include "apps/training/plot.h"
#include "apps/training/report.h"

namespace ihd::training {

// One level an evaluation is scored at: its scores and labels, and what follows from them.
struct EvaluatedLevel {
  std::string name;              // "slices", "patients", "studies (sequence stage)"
  double threshold = 0.5;        // the run's decision threshold at this level
  MetricSet metrics;             // AUCs, log loss; at 0.5 and at the target sensitivity here
  ThresholdMetrics at_threshold;  // at `threshold`
  BootstrapIntervals intervals;   // at `threshold`
  RocCurve roc;
  PrecisionRecallCurve precision_recall;
};
// The level's numbers; bootstrap_resamples percentile resamples (seed 1) for the intervals.
EvaluatedLevel evaluate_level(const std::string& name, std::span<const double> scores,
                              std::span<const int> labels, double threshold,
                              double target_sensitivity, int bootstrap_resamples);

// A section the caller adds: its tables, then its charts.
struct ReportSection {
  std::string id;  // the HTML id
  std::string title;
  std::vector<ReportTable> tables;
  std::vector<std::pair<std::string, LineChart>> charts;  // (file name, chart)
};

struct EvalReport {
  std::string title = "ihd evaluation";
  ConfigEntries evaluated;             // model, data, split, threshold: shown first
  std::vector<EvaluatedLevel> levels;  // the first is the headline
  std::optional<PatientScores> patients;  // listed one per row, at the patient level's threshold
  double patient_threshold = 0.5;
  std::vector<ReportSection> sections;  // after the levels and the patients, in order
};

// "0.9123 [0.8901, 0.9345]": an estimate and its interval (a no-break space after the comma, so a
// narrow table cell wraps only before the bracket).
std::string format_interval(const ConfidenceInterval& interval, int digits = 4);

// Writes dir/report.html (atomically) and the figures under dir/plots/; returns the page's path.
std::filesystem::path write_eval_report(const std::filesystem::path& dir, const EvalReport& report);

}  // namespace ihd::training
