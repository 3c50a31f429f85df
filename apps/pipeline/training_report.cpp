// The report of a run from its folder; see training_report.h.
#include "apps/pipeline/training_report.h"

#include <algorithm>
#include <vector>

#include "apps/pipeline/applied_settings.h"
#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"  // kRunConfigName
#include "apps/training/history.h"
#include "apps/training/model_selection.h"
#include "apps/training/report.h"

namespace ihd::pipeline {

namespace fs = std::filesystem;

void write_training_report(const fs::path& run_dir) {
  const fs::path config_path = run_dir / kRunConfigName;
  const auto config = read_run_config(config_path);
  const TrainOptions options = options_from_config(config, config_path.string());
  training::RunReport report;
  report.title = options.stage == "sequence" ? "ihd sequence stage: " + run_dir.string()
                                             : "ihd training run: " + run_dir.filename().string();
  report.config = applied_settings(options);
  if (fs::exists(run_dir / training::kHistoryCsvName)) {
    report.history = training::read_history(run_dir);
  }
  report.selection = training::parse_selection_rule(options.select);
  const bool has_validation = std::any_of(report.history.begin(), report.history.end(),
                                          [](const auto& r) { return r.split == "validation"; });
  report.selection_split = has_validation ? "validation" : "train";
  std::vector<double> scores;
  std::vector<int> labels;
  if (read_headline_prediction_columns(run_dir / "best_predictions.csv", scores, labels) &&
      !scores.empty()) {
    report.best_curves = training::best_epoch_curves(report.selection_split, scores, labels,
                                                     options.target_sensitivity);
  }
  // Temperatures are recorded once the run has calibrated its selected epoch (every start of
  // training writes config.json without them).
  if (const auto temperatures = config.find("temperatures");
      temperatures != config.end() && !temperatures->second.empty()) {
    const auto names = config.find("label_names");
    const size_t outputs = names != config.end() ? split_list(names->second).size() : 1;
    report.calibrated_threshold =
        read_run_calibration(config, config_path.string(), outputs).decision_threshold;
  }
  training::write_run_report(run_dir, report);
}

}  // namespace ihd::pipeline
