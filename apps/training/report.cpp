// The run report; see report.h. Sections, each with an id: result, per-epoch, configuration,
// history. The operating threshold is the selected epoch's threshold at the target sensitivity on
// the selection split (best_record_threshold), on the probabilities as the network gives them;
// config.json carries the same decisions as a threshold on the temperature-scaled probabilities,
// which the headline shows beside it once the run is calibrated.
#include "apps/training/report.h"

#include <algorithm>

#include "apps/training/epoch_charts.h"
#include "apps/training/html_page.h"
#include "apps/training/plot.h"
#include "common/atomic_file.h"

namespace ihd::training {
namespace {

std::vector<std::string> splits_in(const std::vector<EpochRecord>& history) {
  std::vector<std::string> splits;
  for (const EpochRecord& r : history) {
    if (std::find(splits.begin(), splits.end(), r.split) == splits.end()) splits.push_back(r.split);
  }
  return splits;
}

const std::vector<std::string> kThresholdHeader = {
    "split",     "threshold",   "chosen as", "sensitivity (recall)", "specificity", "precision",
    "accuracy", "F1", "ROC AUC",   "PR AUC",               "loss"};

std::vector<std::string> threshold_row(const EpochRecord& r, const ThresholdMetrics& m,
                                       const std::string& chosen_as) {
  return {r.split,
          format_metric(m.threshold, 4),
          chosen_as,
          format_metric(m.recall),
          format_metric(m.specificity),
          format_metric(m.precision),
          format_metric(m.accuracy),
          format_metric(m.f1),
          format_metric(r.metrics.roc_auc),
          format_metric(r.metrics.pr_auc),
          format_metric(r.loss, 4)};
}

// The selected epoch's records, the selection split first.
std::vector<const EpochRecord*> records_of_epoch(const std::vector<EpochRecord>& history,
                                                 int epoch, const std::string& first_split) {
  std::vector<const EpochRecord*> records;
  for (const EpochRecord& r : history) {
    if (r.epoch == epoch) records.push_back(&r);
  }
  std::stable_partition(records.begin(), records.end(),
                        [&](const EpochRecord* r) { return r->split == first_split; });
  return records;
}

std::string headline(const RunReport& report, const EpochRecord& best, const std::string& split,
                     int last_epoch) {
  const SensitivityOperatingPoint& target = best.metrics.at_target_sensitivity;
  std::string html = "<p class=\"headline\">Selected epoch <b>" + std::to_string(best.epoch) +
                     "</b> of " + std::to_string(last_epoch) + ", by " +
                     escape_xml(describe_selection_rule(report.selection)) + " on " +
                     escape_xml(split) + ".<br>\n";
  if (target.reachable) {
    html += "Operating threshold <b>" + format_metric(target.at_threshold.threshold, 4) +
            "</b>: where " + escape_xml(split) + " reaches sensitivity " +
            format_metric(target.target_sensitivity, 2) + " at that epoch (specificity " +
            format_metric(target.at_threshold.specificity) + ").";
    if (report.calibrated_threshold) {
      html += "<br>\nihd_predict and ihd_eval apply it as <b>" +
              format_metric(*report.calibrated_threshold, 4) +
              "</b> (config.json): the same cut on the probabilities after temperature scaling, "
              "which, fitted on validation at the end of the run, makes the scores read as "
              "chances without changing which images fall above it.";
    }
  } else {
    html += "Operating threshold <b>0.5</b>: " + escape_xml(split) + " does not reach sensitivity " +
            format_metric(target.target_sensitivity, 2) + " at that epoch.";
  }
  return html + "</p>\n";
}

std::string selected_epoch_table(const RunReport& report, int epoch, const std::string& split) {
  std::vector<std::vector<std::string>> rows;
  for (const EpochRecord* r : records_of_epoch(report.history, epoch, split)) {
    const SensitivityOperatingPoint& target = r->metrics.at_target_sensitivity;
    rows.push_back(threshold_row(
        *r, target.at_threshold,
        "reaches sensitivity " + format_metric(target.target_sensitivity, 2)));
    rows.push_back(threshold_row(*r, r->metrics.at_default_threshold, "fixed"));
  }
  return html_table(kThresholdHeader, rows);
}

// The extra numbers (per-subtype metrics, RSNA log loss...) of one epoch: a row per number, a
// column per split, so that many numbers make the table longer, not wider.
std::string extra_metrics_table(const std::vector<EpochRecord>& history, int epoch,
                                const std::string& split) {
  const std::vector<const EpochRecord*> records = records_of_epoch(history, epoch, split);
  std::vector<std::string> names;
  for (const EpochRecord* r : records) {
    for (const auto& [name, value] : r->extra) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  if (names.empty()) return "";
  std::sort(names.begin(), names.end());
  std::vector<std::string> header = {"metric"};
  for (const EpochRecord* r : records) header.push_back(r->split);
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : names) {
    std::vector<std::string> row = {epoch_metric(name).title};
    for (const EpochRecord* r : records) {
      const auto found = r->extra.find(name);
      row.push_back(found == r->extra.end() ? "n/a" : format_metric(found->second, 4));
    }
    rows.push_back(std::move(row));
  }
  return "<h3>Further metrics of the selected epoch</h3>\n" + html_table(header, rows);
}

std::string result_figures(const BestEpochCurves& c, const std::filesystem::path& plots) {
  const SensitivityOperatingPoint& target = c.at_target_sensitivity;
  const std::string at_target = "at the operating threshold " +
                                format_metric(target.at_threshold.threshold, 4) +
                                " (sensitivity " + format_metric(target.target_sensitivity, 2) +
                                ")";
  LineChart roc = roc_chart("ROC curve (" + c.split + ")", {{c.split, c.roc}});
  LineChart precision_recall = precision_recall_chart("Precision-recall curve (" + c.split + ")",
                                                      {{c.split, c.precision_recall}});
  if (target.reachable) {
    mark_operating_point_on_roc(roc, target.at_threshold);
    mark_operating_point_on_precision_recall(precision_recall, target.at_threshold);
  }
  std::string html = "<div class=\"figures\">\n";
  html += html_figure(draw_line_chart(roc), plots, kPlotsDirName, "roc",
                      "ROC curve of the selected epoch, the operating point marked");
  html += html_figure(draw_line_chart(precision_recall), plots, kPlotsDirName, "precision_recall",
                      "Precision-recall curve of the selected epoch, the operating point marked");
  if (target.reachable) {
    const ThresholdMetrics& t = target.at_threshold;
    html += html_figure(
        draw_confusion_matrix(t.counts, "Confusion matrix at " + format_metric(t.threshold, 4) +
                                            " (" + c.split + ")"),
        plots, kPlotsDirName, "confusion_matrix_target", "Confusion matrix " + at_target);
  }
  html += html_figure(
      draw_confusion_matrix(c.at_default_threshold.counts,
                            "Confusion matrix at " +
                                format_metric(c.at_default_threshold.threshold, 2) + " (" +
                                c.split + ")"),
      plots, kPlotsDirName, "confusion_matrix", "Confusion matrix at the fixed threshold 0.5");
  return html + "</div>\n";
}

std::string per_epoch_figures(const RunReport& report, int selected_epoch,
                              const std::filesystem::path& plots) {
  std::vector<EpochLine> lines;
  for (const std::string& s : splits_in(report.history)) {
    lines.emplace_back(s, records_of_split(report.history, s));
  }
  std::string html = "<div class=\"figures\">\n";
  for (const std::string& metric : per_epoch_plot_metrics()) {
    const LineChart chart = epoch_chart(metric, lines, selected_epoch);
    html += html_figure(draw_line_chart(chart), plots, kPlotsDirName, metric, chart.title);
  }
  return html + "</div>\n";
}

std::string history_table(const std::vector<EpochRecord>& history) {
  std::vector<std::vector<std::string>> rows;
  for (const EpochRecord& r : history) {
    const ThresholdMetrics& m = r.metrics.at_default_threshold;
    const ThresholdMetrics& t = r.metrics.at_target_sensitivity.at_threshold;
    rows.push_back({std::to_string(r.epoch), r.split, format_metric(r.learning_rate, 8),
                    format_metric(r.loss, 4), format_metric(r.metrics.roc_auc),
                    format_metric(t.threshold, 4), format_metric(t.specificity),
                    format_metric(m.recall), format_metric(m.precision), format_metric(m.accuracy),
                    format_metric(m.specificity), format_metric(r.images_per_second, 1),
                    format_metric(r.seconds, 1)});
  }
  return html_details(
      "Every epoch (" + std::to_string(history.size()) + " rows)",
      html_table({"epoch", "split", "learning rate", "loss", "ROC AUC", "operating threshold",
                  "specificity there", "recall at 0.5", "precision at 0.5", "accuracy at 0.5",
                  "specificity at 0.5", "images/s", "seconds"},
                 rows));
}

std::string configuration(const ConfigEntries& config) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : config) rows.push_back({key, value});
  return "<h2 id=\"configuration\">Configuration</h2>\n" +
         html_details("The " + std::to_string(config.size()) + " settings that applied to this run",
                      html_table({"setting", "value"}, rows));
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
  static const std::vector<std::string> metrics = {
      "roc_auc", "target_specificity", "target_threshold", "recall", "precision", "accuracy",
      "loss"};
  return metrics;
}

std::filesystem::path write_run_report(const std::filesystem::path& run_dir,
                                       const RunReport& report) {
  const std::filesystem::path plots = run_dir / kPlotsDirName;
  std::string body;
  std::string split = report.selection_split;
  std::optional<std::size_t> best = best_record_index(report.history, split, report.selection);
  if (!best) {
    split = "train";
    best = best_record_index(report.history, split, report.selection);
  }
  if (best) {
    const EpochRecord& selected = report.history[*best];
    int last_epoch = 0;
    for (const EpochRecord& r : report.history) last_epoch = std::max(last_epoch, r.epoch);
    body += headline(report, selected, split, last_epoch);
    body += "<h2 id=\"result\">The selected epoch</h2>\n";
    body += selected_epoch_table(report, selected.epoch, split);
    body += extra_metrics_table(report.history, selected.epoch, split);
    if (report.best_curves) body += result_figures(*report.best_curves, plots);
    body += "<h2 id=\"per-epoch\">Per epoch</h2>\n";
    body += per_epoch_figures(report, selected.epoch, plots);
  } else {
    body += "<p class=\"headline\">No epoch has been recorded yet.</p>\n";
  }
  body += configuration(report.config);
  body += "<h2 id=\"history\">History</h2>\n" + history_table(report.history);

  const std::filesystem::path path = run_dir / kReportFileName;
  write_file_atomically(path, html_page(report.title, body));
  return path;
}

}  // namespace ihd::training
