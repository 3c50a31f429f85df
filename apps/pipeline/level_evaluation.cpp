// Calibration tables, reliability charts and the two stages' table of an evaluation.
#include "apps/pipeline/level_evaluation.h"

#include <cmath>

#include "apps/pipeline/run_calibration.h"
#include "apps/training/calibration.h"
#include "apps/training/html_page.h"

namespace ihd::pipeline {
namespace {

std::string number(double value, int digits = 4) {
  return training::format_metric(value, digits);
}

}  // namespace

training::ReportTable calibration_table(const std::string& title, const Predictions& raw,
                                        const std::vector<std::string>& names,
                                        const std::vector<double>& temperatures) {
  training::ReportTable table;
  table.title = title;
  table.header = {"output",     "temperature", "ECE before",   "ECE after",
                  "MCE before", "MCE after",   "Brier before", "Brier after"};
  Predictions calibrated = raw;
  apply_temperatures(calibrated, temperatures);
  for (size_t k = 0; k < raw.scores.size(); ++k) {
    const auto before = training::calibration_summary(raw.scores[k], raw.labels[k]);
    const auto after = training::calibration_summary(calibrated.scores[k], calibrated.labels[k]);
    table.rows.push_back(
        {names[k], number(temperatures[k]), number(before.expected_calibration_error),
         number(after.expected_calibration_error), number(before.maximum_calibration_error),
         number(after.maximum_calibration_error), number(before.brier_score),
         number(after.brier_score)});
  }
  table.note =
      "Reliability in 10 equal bins of predicted probability; ECE weighs each bin's gap between "
      "predicted and observed frequency by its share of the images, MCE is the largest gap. "
      "After: with the temperatures fitted on the validation split when the run was trained.";
  return table;
}

training::LineChart reliability_chart(const std::string& title, const Predictions& raw, int output,
                                      double temperature) {
  Predictions calibrated = raw;
  std::vector<double> temperatures(raw.scores.size(), 1.0);
  temperatures[static_cast<size_t>(output)] = temperature;
  apply_temperatures(calibrated, temperatures);
  training::LineChart chart;
  chart.title = title;
  chart.x_label = "predicted probability";
  chart.y_label = "observed frequency";
  chart.x_min = chart.y_min = 0;
  chart.x_max = chart.y_max = 1;
  chart.chance_diagonal = true;
  for (const auto& [name, predictions] : {std::pair<std::string, const Predictions*>{"raw", &raw},
                                          {"temperature-scaled", &calibrated}}) {
    const auto diagram =
        training::reliability_diagram(predictions->scores[output], predictions->labels[output]);
    training::Series series{name, {}, {}};
    for (const auto& bin : diagram.bins) {
      if (bin.empty()) continue;
      series.x.push_back(bin.mean_predicted);
      series.y.push_back(bin.observed_positive_fraction);
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

training::ReportTable levels_table(const std::vector<training::EpochRecord>& slice_records,
                                   const std::vector<training::EvaluatedLevel>& studies) {
  training::ReportTable table;
  table.title = "Slices and studies";
  table.header = {"model",
                  "slice AUC",
                  "slice weighted log loss",
                  "studies",
                  "study AUC [95% CI]",
                  "threshold",
                  "study sensitivity [95% CI]",
                  "study specificity [95% CI]"};
  for (size_t i = 0; i < studies.size(); ++i) {
    const training::EpochRecord& slices = slice_records[i];
    const auto loss = slices.extra.find("rsna_weighted_log_loss");
    table.rows.push_back({studies[i].name, number(slices.metrics.roc_auc),
                          loss == slices.extra.end() ? "" : number(loss->second),
                          std::to_string(studies[i].metrics.sample_count),
                          training::format_interval(studies[i].intervals.roc_auc),
                          number(studies[i].threshold),
                          training::format_interval(studies[i].intervals.sensitivity),
                          training::format_interval(studies[i].intervals.specificity)});
  }
  table.note =
      "A study's probability is the highest `any` of its slices; intervals are percentile "
      "bootstrap intervals that resample studies.";
  return table;
}

}  // namespace ihd::pipeline
