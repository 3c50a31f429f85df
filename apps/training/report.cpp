// The run report; see report.h. Layout: configuration, headline tables, per-epoch figures, then
// the best epoch's curves and confusion matrices, then the whole history in a collapsed table.
#include "apps/training/report.h"

#include <algorithm>
#include <map>

#include "apps/training/html_page.h"
#include "apps/training/plot.h"
#include "apps/training/svg.h"
#include "common/atomic_file.h"

namespace ihd::training {
namespace {

std::string metric_title(const std::string& metric) {
  static const std::map<std::string, std::string> titles = {{"recall", "Recall (sensitivity)"},
                                                            {"precision", "Precision"},
                                                            {"accuracy", "Accuracy"},
                                                            {"loss", "Loss"},
                                                            {"roc_auc", "ROC AUC"},
                                                            {"specificity", "Specificity"}};
  const auto found = titles.find(metric);
  return found == titles.end() ? metric : found->second;
}

std::vector<std::string> splits_in(const std::vector<EpochRecord>& history) {
  std::vector<std::string> splits;
  for (const EpochRecord& r : history) {
    if (std::find(splits.begin(), splits.end(), r.split) == splits.end()) splits.push_back(r.split);
  }
  return splits;
}

std::vector<std::string> threshold_row(const std::string& label, const EpochRecord& r,
                                       const ThresholdMetrics& m) {
  return {label,
          format_metric(m.threshold, 4),
          format_metric(m.recall),
          format_metric(m.precision),
          format_metric(m.accuracy),
          format_metric(m.specificity),
          format_metric(m.f1),
          format_metric(r.metrics.roc_auc),
          format_metric(r.metrics.pr_auc),
          format_metric(r.loss, 4)};
}

const std::vector<std::string> kThresholdHeader = {
    "epoch / split", "threshold", "recall",  "precision", "accuracy",
    "specificity",   "F1",        "ROC AUC", "PR AUC",    "loss"};

std::string headline_tables(const RunReport& report, int best_epoch, int last_epoch) {
  std::vector<std::vector<std::string>> at_default, at_target;
  double target = 0.95;
  for (const auto& [name, epoch] : {std::pair<const char*, int>{"best", best_epoch},
                                    std::pair<const char*, int>{"last", last_epoch}}) {
    for (const EpochRecord& r : report.history) {
      if (r.epoch != epoch) continue;
      const std::string label =
          std::string(name) + " (epoch " + std::to_string(epoch) + ") " + r.split;
      at_default.push_back(threshold_row(label, r, r.metrics.at_default_threshold));
      at_target.push_back(threshold_row(label, r, r.metrics.at_target_sensitivity.at_threshold));
      target = r.metrics.at_target_sensitivity.target_sensitivity;
    }
  }
  std::string html = "<h2 id=\"metrics\">Metrics</h2>\n<h3>At threshold 0.5</h3>\n";
  html += html_table(kThresholdHeader, at_default);
  html += "<h3>At the threshold reaching sensitivity " + format_metric(target, 2) +
          " (chosen on each split's own scores)</h3>\n";
  html += html_table(kThresholdHeader, at_target);
  return html;
}

std::string intervals_table(const BootstrapIntervals& intervals) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, ci] :
       {std::pair<const char*, ConfidenceInterval>{"ROC AUC", intervals.roc_auc},
        {"sensitivity", intervals.sensitivity},
        {"specificity", intervals.specificity}}) {
    rows.push_back({name, format_metric(ci.estimate), format_metric(ci.lower),
                    format_metric(ci.upper), std::to_string(ci.valid_resamples)});
  }
  return "<h3>Bootstrap 95% confidence intervals</h3>\n" +
         html_table({"metric", "estimate", "lower", "upper", "resamples"}, rows);
}

// The extra numbers (per-subtype metrics, RSNA log loss...) of one epoch, one row per split.
std::string extra_metrics_table(const std::vector<EpochRecord>& history, int epoch) {
  std::vector<std::string> names;
  for (const EpochRecord& r : history) {
    for (const auto& [name, value] : r.extra) {
      if (r.epoch == epoch && std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  if (names.empty()) return "";
  std::sort(names.begin(), names.end());
  std::vector<std::string> header = {"split"};
  header.insert(header.end(), names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  for (const EpochRecord& r : history) {
    if (r.epoch != epoch) continue;
    std::vector<std::string> row = {r.split};
    for (const std::string& name : names) {
      const auto found = r.extra.find(name);
      row.push_back(found == r.extra.end() ? "n/a" : format_metric(found->second, 4));
    }
    rows.push_back(std::move(row));
  }
  return "<h3>Further metrics of the best epoch</h3>\n" + html_table(header, rows);
}

std::string history_table(const std::vector<EpochRecord>& history) {
  std::vector<std::vector<std::string>> rows;
  for (const EpochRecord& r : history) {
    const ThresholdMetrics& m = r.metrics.at_default_threshold;
    rows.push_back({std::to_string(r.epoch), r.split, format_metric(r.learning_rate, 8),
                    format_metric(r.loss, 4), format_metric(m.recall), format_metric(m.precision),
                    format_metric(m.accuracy), format_metric(m.specificity),
                    format_metric(r.metrics.roc_auc), format_metric(r.images_per_second, 1),
                    format_metric(r.seconds, 1)});
  }
  return "<details><summary>Every epoch</summary>\n" +
         html_table({"epoch", "split", "learning rate", "loss", "recall", "precision", "accuracy",
                     "specificity", "ROC AUC", "images/s", "seconds"},
                    rows) +
         "</details>\n";
}

}  // namespace

BestEpochCurves best_epoch_curves(const std::string& split, std::span<const double> scores,
                                  std::span<const int> labels, double target_sensitivity,
                                  double default_threshold) {
  BestEpochCurves curves;
  curves.split = split;
  curves.roc = roc_curve(scores, labels);
  curves.precision_recall = precision_recall_curve(scores, labels);
  curves.at_default_threshold = metrics_at_threshold(scores, labels, default_threshold);
  curves.at_target_sensitivity = threshold_for_sensitivity(scores, labels, target_sensitivity);
  return curves;
}

const std::vector<std::string>& per_epoch_plot_metrics() {
  static const std::vector<std::string> metrics = {"recall", "precision", "accuracy", "loss",
                                                   "roc_auc"};
  return metrics;
}

std::filesystem::path write_run_report(const std::filesystem::path& run_dir,
                                       const RunReport& report) {
  const std::filesystem::path plots = run_dir / kPlotsDirName;
  std::string body;

  std::vector<std::vector<std::string>> config_rows;
  for (const auto& [key, value] : report.config) config_rows.push_back({key, value});
  body += "<h2 id=\"config\">Configuration</h2>\n" + html_table({"setting", "value"}, config_rows);

  std::string split = report.selection_split;
  std::optional<std::size_t> best = best_record_index(report.history, split, report.selection);
  if (!best) {
    split = "train";
    best = best_record_index(report.history, split, report.selection);
  }
  if (best) {
    const int best_epoch = report.history[*best].epoch;
    int last_epoch = 0;
    for (const EpochRecord& r : report.history) last_epoch = std::max(last_epoch, r.epoch);
    body += "<p>Best epoch by " + std::string(describe_selection_rule(report.selection)) + " on " +
            split + ": <b>" + std::to_string(best_epoch) + "</b> of " + std::to_string(last_epoch) +
            ".</p>\n";
    body += headline_tables(report, best_epoch, last_epoch);
    body += extra_metrics_table(report.history, best_epoch);
  } else {
    body += "<p>No epoch has been recorded yet.</p>\n";
  }
  if (report.intervals) body += intervals_table(*report.intervals);
  for (const ReportTable& table : report.tables) {
    body += "<h2>" + escape_xml(table.title) + "</h2>\n" + html_table(table.header, table.rows);
    if (!table.note.empty()) body += "<p>" + escape_xml(table.note) + "</p>\n";
  }
  if (!report.charts.empty()) {
    body += "<div class=\"figures\">\n";
    for (const auto& [name, chart] : report.charts) {
      body += html_figure(draw_line_chart(chart), plots, kPlotsDirName, name, chart.title);
    }
    body += "</div>\n";
  }

  body += "<h2 id=\"per-epoch\">Per epoch</h2>\n<div class=\"figures\">\n";
  const std::vector<std::string> splits = splits_in(report.history);
  for (const std::string& metric : per_epoch_plot_metrics()) {
    LineChart chart;
    chart.title = metric_title(metric) + " per epoch";
    chart.x_label = "epoch";
    chart.y_label = metric;
    if (metric != "loss") {
      chart.y_min = 0;
      chart.y_max = 1;
    }
    for (const std::string& s : splits) {
      Series series{s, {}, {}};
      for (const EpochRecord& r : records_of_split(report.history, s)) {
        series.x.push_back(r.epoch);
        series.y.push_back(history_value(r, metric));
      }
      chart.series.push_back(std::move(series));
    }
    body += html_figure(draw_line_chart(chart), plots, kPlotsDirName, metric, chart.title);
  }
  body += "</div>\n";

  if (report.best_curves) {
    const BestEpochCurves& c = *report.best_curves;
    body += "<h2 id=\"best-epoch\">Best epoch: curves and confusion matrices (" + c.split +
            ")</h2>\n<div class=\"figures\">\n";
    body += html_figure(draw_line_chart(roc_chart("ROC curve", {{c.split, c.roc}})), plots,
                        kPlotsDirName, "roc", "ROC curve of the best epoch");
    body += html_figure(draw_line_chart(precision_recall_chart("Precision-recall curve",
                                                               {{c.split, c.precision_recall}})),
                        plots, kPlotsDirName, "precision_recall",
                        "Precision-recall curve of the best epoch");
    body += html_figure(
        draw_confusion_matrix(
            c.at_default_threshold.counts,
            "Confusion matrix at " + format_metric(c.at_default_threshold.threshold, 2)),
        plots, kPlotsDirName, "confusion_matrix", "Confusion matrix at the default threshold");
    if (c.at_target_sensitivity.reachable) {
      const ThresholdMetrics& t = c.at_target_sensitivity.at_threshold;
      body += html_figure(
          draw_confusion_matrix(t.counts, "Confusion matrix at " + format_metric(t.threshold, 4)),
          plots, kPlotsDirName, "confusion_matrix_target",
          "Confusion matrix at the threshold reaching sensitivity " +
              format_metric(c.at_target_sensitivity.target_sensitivity, 2) + " (specificity " +
              format_metric(t.specificity) + ")");
    }
    body += "</div>\n";
  }
  body += "<h2 id=\"history\">History</h2>\n" + history_table(report.history);

  const std::filesystem::path path = run_dir / kReportFileName;
  write_file_atomically(path, html_page(report.title, body));
  return path;
}

}  // namespace ihd::training
