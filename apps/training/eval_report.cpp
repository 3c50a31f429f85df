// The evaluation page; see eval_report.h. Sections, each with an id: metrics, curves, patients
// (when given), then the caller's sections. Decisions are score >= threshold, as everywhere
// (metrics.h).
#include "apps/training/eval_report.h"

#include <algorithm>
#include <cctype>

#include "common/atomic_file.h"

namespace ihd::training {
namespace {

constexpr const char* kNoBreakComma = ",\u00A0";  // a table cell breaks before "[", not inside it

// "studies (sequence stage)" -> "studies_sequence_stage", for file names.
std::string file_stem(const std::string& name) {
  std::string stem;
  for (const unsigned char c : name) {
    if (std::isalnum(c)) {
      stem += static_cast<char>(std::tolower(c));
    } else if (!stem.empty() && stem.back() != '_') {
      stem += '_';
    }
  }
  while (!stem.empty() && stem.back() == '_') stem.pop_back();
  return stem;
}

std::string headline(const EvaluatedLevel& level) {
  const BootstrapIntervals& ci = level.intervals;
  return "<p class=\"headline\">" + escape_xml(level.name) + ": " +
         std::to_string(level.metrics.sample_count) + " (" +
         std::to_string(level.metrics.positive_count) + " positive). At the run's threshold <b>" +
         format_metric(level.threshold, 4) + "</b>: sensitivity <b>" +
         escape_xml(format_interval(ci.sensitivity, 3)) + "</b>, specificity <b>" +
         escape_xml(format_interval(ci.specificity, 3)) + "</b>; ROC AUC <b>" +
         escape_xml(format_interval(ci.roc_auc, 3)) + "</b>.</p>\n";
}

std::string metrics_section(const EvalReport& report) {
  std::vector<std::vector<std::string>> rows;
  int resamples = 0;
  for (const EvaluatedLevel& level : report.levels) {
    const ThresholdMetrics& t = level.at_threshold;
    rows.push_back({level.name, std::to_string(level.metrics.sample_count),
                    std::to_string(level.metrics.positive_count), format_metric(level.threshold, 4),
                    format_interval(level.intervals.roc_auc, 3),
                    format_interval(level.intervals.sensitivity, 3),
                    format_interval(level.intervals.specificity, 3), format_metric(t.precision),
                    format_metric(t.accuracy), format_metric(t.f1),
                    format_metric(level.metrics.pr_auc), format_metric(level.metrics.log_loss, 4)});
    resamples = std::max(resamples, level.intervals.sensitivity.valid_resamples);
  }
  std::string html = "<h2 id=\"metrics\">Metrics at the run's threshold</h2>\n";
  html += html_table(
      {"level", "count", "positive", "threshold", "ROC AUC [95% CI]", "sensitivity [95% CI]",
       "specificity [95% CI]", "precision", "accuracy", "F1", "PR AUC", "log loss"},
      rows);
  html += "<p>Intervals: 95% percentile bootstrap over " + std::to_string(resamples) +
          " resamples of each level's own units (slices, patients or studies).</p>\n";

  std::vector<std::vector<std::string>> other;
  for (const EvaluatedLevel& level : report.levels) {
    const auto row = [&](const ThresholdMetrics& m, const std::string& chosen_as) {
      other.push_back({level.name, format_metric(m.threshold, 4), chosen_as,
                       format_metric(m.recall), format_metric(m.specificity),
                       format_metric(m.precision), format_metric(m.accuracy)});
    };
    row(level.metrics.at_default_threshold, "fixed");
    const SensitivityOperatingPoint& target = level.metrics.at_target_sensitivity;
    if (target.reachable) {
      row(target.at_threshold,
          "reaches sensitivity " + format_metric(target.target_sensitivity, 2) + " on this set");
    }
  }
  html += html_details("Other thresholds, for comparison",
                       html_table({"level", "threshold", "chosen as", "sensitivity", "specificity",
                                   "precision", "accuracy"},
                                  other));
  return html;
}

std::string curves_section(const EvalReport& report, const std::filesystem::path& plots) {
  std::vector<std::pair<std::string, RocCurve>> rocs;
  std::vector<std::pair<std::string, PrecisionRecallCurve>> precision_recalls;
  for (const EvaluatedLevel& level : report.levels) {
    rocs.emplace_back(level.name, level.roc);
    precision_recalls.emplace_back(level.name, level.precision_recall);
  }
  LineChart roc = roc_chart("ROC curve", rocs);
  LineChart precision_recall = precision_recall_chart("Precision-recall curve", precision_recalls);
  for (const EvaluatedLevel& level : report.levels) {
    mark_operating_point_on_roc(roc, level.at_threshold);
    mark_operating_point_on_precision_recall(precision_recall, level.at_threshold);
    if (report.levels.size() > 1) {
      for (LineChart* chart : {&roc, &precision_recall}) {
        chart->marked_points.back().label = level.name + ", " + chart->marked_points.back().label;
      }
    }
  }
  std::string html =
      "<h2 id=\"curves\">Curves and confusion matrices</h2>\n<div class=\"figures\">\n";
  html += html_figure(draw_line_chart(roc), plots, kPlotsDirName, "roc",
                      "ROC curve, the run's operating point marked");
  html += html_figure(draw_line_chart(precision_recall), plots, kPlotsDirName, "precision_recall",
                      "Precision-recall curve, the run's operating point marked");
  for (const EvaluatedLevel& level : report.levels) {
    const std::string title =
        "Confusion matrix: " + level.name + " at " + format_metric(level.threshold, 4);
    html += html_figure(draw_confusion_matrix(level.at_threshold.counts, title), plots,
                        kPlotsDirName, "confusion_matrix_" + file_stem(level.name),
                        "Confusion matrix of the " + level.name + " at the run's threshold");
  }
  return html + "</div>\n";
}

std::string patients_section(const PatientScores& patients, double threshold) {
  struct Row {
    int order;  // misses, then false alarms, then the right calls
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
  std::int64_t missed = 0, false_alarms = 0, positive = 0;
  for (std::size_t i = 0; i < patients.patient_ids.size(); ++i) {
    const bool bleed = patients.labels[i] == 1;
    const bool called = patients.scores[i] >= threshold;
    const char* outcome = bleed ? (called ? "true positive" : "missed (false negative)")
                                : (called ? "false alarm (false positive)" : "true negative");
    const int order = bleed && !called ? 0 : !bleed && called ? 1 : 2;
    missed += order == 0;
    false_alarms += order == 1;
    positive += bleed;
    rows.push_back(
        {order,
         {patients.patient_ids[i], bleed ? "bleed" : "no bleed",
          format_metric(patients.scores[i], 4), called ? "bleed" : "no bleed", outcome}});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.order < b.order; });
  std::vector<std::vector<std::string>> cells;
  for (Row& row : rows) cells.push_back(std::move(row.cells));
  return "<h2 id=\"patients\">Per patient</h2>\n<p>A patient is positive when any of its slices "
         "is; its probability is the highest of its slices. " +
         std::to_string(patients.patient_ids.size()) + " patients, " + std::to_string(positive) +
         " positive; at threshold " + format_metric(threshold, 4) + ", " + std::to_string(missed) +
         " missed and " + std::to_string(false_alarms) + " false alarms.</p>\n" +
         html_details(
             "Each patient, misses and false alarms first",
             html_table({"patient", "label", "highest probability", "decision", "outcome"}, cells));
}

std::string caller_section(const ReportSection& section, const std::filesystem::path& plots) {
  std::string html =
      "<h2 id=\"" + escape_xml(section.id) + "\">" + escape_xml(section.title) + "</h2>\n";
  for (const ReportTable& table : section.tables) html += html_report_table(table);
  if (!section.charts.empty()) {
    html += "<div class=\"figures\">\n";
    for (const auto& [name, chart] : section.charts) {
      html += html_figure(draw_line_chart(chart), plots, kPlotsDirName, name, chart.title);
    }
    html += "</div>\n";
  }
  return html;
}

}  // namespace

EvaluatedLevel evaluate_level(const std::string& name, std::span<const double> scores,
                              std::span<const int> labels, double threshold,
                              double target_sensitivity, int bootstrap_resamples) {
  EvaluatedLevel level;
  level.name = name;
  level.threshold = threshold;
  level.metrics = compute_metric_set(scores, labels, target_sensitivity);
  level.at_threshold = metrics_at_threshold(scores, labels, threshold);
  level.intervals = bootstrap_intervals(scores, labels, threshold, bootstrap_resamples, 1);
  level.roc = roc_curve(scores, labels);
  level.precision_recall = precision_recall_curve(scores, labels);
  return level;
}

std::string format_interval(const ConfidenceInterval& ci, int digits) {
  return format_metric(ci.estimate, digits) + " [" + format_metric(ci.lower, digits) +
         kNoBreakComma + format_metric(ci.upper, digits) + "]";
}

std::filesystem::path write_eval_report(const std::filesystem::path& dir,
                                        const EvalReport& report) {
  const std::filesystem::path plots = dir / kPlotsDirName;
  std::string body;
  if (!report.levels.empty()) body += headline(report.levels.front());
  std::vector<std::vector<std::string>> evaluated;
  for (const auto& [key, value] : report.evaluated) evaluated.push_back({key, value});
  body += "<h2 id=\"evaluated\">What was evaluated</h2>\n" +
          html_table({"setting", "value"}, evaluated);
  if (!report.levels.empty()) {
    body += metrics_section(report);
    body += curves_section(report, plots);
  }
  if (report.patients) body += patients_section(*report.patients, report.patient_threshold);
  for (const ReportSection& section : report.sections) body += caller_section(section, plots);

  const std::filesystem::path path = dir / kReportFileName;
  write_file_atomically(path, html_page(report.title, body));
  return path;
}

}  // namespace ihd::training
