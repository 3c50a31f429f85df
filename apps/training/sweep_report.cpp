// The sweep report; see sweep_report.h. Summary first, then each round's charts, then the sweep's
// settings, collapsed.
#include "apps/training/sweep_report.h"

#include <cmath>
#include <cstdio>

#include "apps/training/epoch_charts.h"
#include "apps/training/html_page.h"
#include "apps/training/plot.h"
#include "common/atomic_file.h"

namespace ihd::training {

const std::vector<std::string>& sweep_plot_metrics() {
  static const std::vector<std::string> metrics = {"recall", "precision", "accuracy", "loss"};
  return metrics;
}

std::string format_learning_rate(double learning_rate) {
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) return format_metric(learning_rate, 6);
  int exponent = static_cast<int>(std::floor(std::log10(learning_rate)));
  double mantissa = learning_rate / std::pow(10.0, exponent);
  if (mantissa >= 9.9995) {  // 0.1 can come out as 9.99999e-2
    mantissa /= 10;
    ++exponent;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.4ge%d", mantissa, exponent);
  return buffer;
}

std::filesystem::path write_sweep_report(const std::filesystem::path& sweep_dir,
                                         const SweepReport& report) {
  const std::filesystem::path plots = sweep_dir / kPlotsDirName;
  std::string body;

  std::vector<std::vector<std::string>> summary;
  std::string figures;
  for (std::size_t round_index = 0; round_index < report.rounds.size(); ++round_index) {
    const SweepRound& round = report.rounds[round_index];
    figures += "<h2 id=\"round-" + std::to_string(round_index + 1) + "\">" + round.name + ": " +
               round.description + "</h2>\n<div class=\"figures\">\n";
    for (const std::string& metric : sweep_plot_metrics()) {
      std::vector<EpochLine> lines;
      for (const SweepRun& run : round.runs) {
        lines.emplace_back("lr " + format_learning_rate(run.learning_rate),
                           records_of_split(run.history, report.split));
      }
      const LineChart chart =
          epoch_chart(metric, lines, std::nullopt,
                      round.name + ": " + epoch_metric(metric).title + " (" + report.split + ")");
      const std::string name = "round" + std::to_string(round_index + 1) + "_" + metric;
      figures += html_figure(draw_line_chart(chart), plots, kPlotsDirName, name, chart.title);
    }
    figures += "</div>\n";

    for (const SweepRun& run : round.runs) {
      const auto best = best_record_index(run.history, report.split, report.selection);
      std::vector<std::string> row = {round.name, format_learning_rate(run.learning_rate)};
      if (best) {
        const EpochRecord& r = run.history[*best];
        const ThresholdMetrics& m = r.metrics.at_default_threshold;
        row.insert(row.end(), {std::to_string(r.epoch), format_metric(m.recall),
                               format_metric(m.precision), format_metric(m.accuracy),
                               format_metric(r.metrics.roc_auc), format_metric(r.loss, 4)});
      } else {
        row.insert(row.end(), 6, "n/a");
      }
      row.push_back(run.advanced ? "yes" : "no");
      summary.push_back(std::move(row));
    }
  }
  body += "<h2 id=\"summary\">Summary (" + report.split + ", best epoch of each run)</h2>\n";
  body += html_table({"round", "learning rate", "best epoch", "recall", "precision", "accuracy",
                      "ROC AUC", "loss", "advanced"},
                     summary);
  body += figures;
  std::vector<std::vector<std::string>> config_rows;
  for (const auto& [key, value] : report.config) config_rows.push_back({key, value});
  body += "<h2 id=\"configuration\">Configuration</h2>\n" +
          html_details("The sweep's settings", html_table({"setting", "value"}, config_rows));

  const std::filesystem::path path = sweep_dir / kReportFileName;
  write_file_atomically(path, html_page(report.title, body));
  return path;
}

}  // namespace ihd::training
