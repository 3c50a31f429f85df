// ihd_eval: a trained run and a labelled set -> the full metric table (at 0.5 and at the threshold
// that reaches the target sensitivity, with the specificity it costs), bootstrap 95% confidence
// intervals for AUC, sensitivity and specificity, per-patient results (a patient is positive if
// any slice is), and an evaluation folder with report.html (ROC, PR, confusion matrices),
// predictions.csv and config.json (what was evaluated). An earlier evaluation in that folder is
// replaced; a folder holding anything else is refused.
#include <cstdio>

#include "apps/pipeline/evaluation.h"     // predict, epoch_record, write_predictions_csv
#include "apps/pipeline/flags.h"          // FlagSet
#include "apps/pipeline/inference.h"      // load_trained_model
#include "apps/pipeline/run_calibration.h"  // apply_temperatures
#include "apps/pipeline/run_config.h"     // write_run_config, build_commit
#include "apps/pipeline/run_folder.h"     // open_owned_folder
#include "apps/pipeline/training_data.h"  // open_training_data, loader_options
#include "apps/training/metrics.h"        // bootstrap_intervals, aggregate_by_patient
#include "apps/training/report.h"         // write_run_report
#include "common/error.h"                 // ihd::Error

namespace {

using namespace ihd::pipeline;
namespace training = ihd::training;
namespace fs = std::filesystem;

void print_metrics(const char* title, const training::MetricSet& m) {
  const auto& d = m.at_default_threshold;
  const auto& t = m.at_target_sensitivity;
  std::printf("%s: %lld images (%lld positive)\n", title, static_cast<long long>(m.sample_count),
              static_cast<long long>(m.positive_count));
  std::printf("  ROC AUC %.4f  PR AUC %.4f  log loss %.4f\n", m.roc_auc, m.pr_auc, m.log_loss);
  std::printf(
      "  at 0.5:    recall %.4f  precision %.4f  specificity %.4f  accuracy %.4f  F1 %.4f\n",
      d.recall, d.precision, d.specificity, d.accuracy, d.f1);
  std::printf("             confusion [[TN %lld, FP %lld], [FN %lld, TP %lld]]\n",
              static_cast<long long>(d.counts.true_negative),
              static_cast<long long>(d.counts.false_positive),
              static_cast<long long>(d.counts.false_negative),
              static_cast<long long>(d.counts.true_positive));
  if (t.reachable) {
    std::printf(
        "  sensitivity >= %.2f at threshold %.4f: recall %.4f, specificity %.4f, "
        "precision %.4f\n",
        t.target_sensitivity, t.at_threshold.threshold, t.at_threshold.recall,
        t.at_threshold.specificity, t.at_threshold.precision);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, data_path, split = "auto", out, device_name = "cpu";
  double target_sensitivity = 0.95;
  int bootstrap = 1000;
  FlagSet flags("ihd_eval", "--model RUN_DIR [flags]");
  flags.add("model", model_path, "training run folder or .safetensors checkpoint");
  flags.add("data", data_path, "labelled set (default: the run's own data)");
  flags.add("split", split, "auto (test if any, else validation), train, validation, test or all");
  flags.add("out", out, "evaluation folder (default: <run>/eval-<split>)");
  flags.add("target-sensitivity", target_sensitivity, "sensitivity of the operating point");
  flags.add("bootstrap", bootstrap, "bootstrap resamples for the confidence intervals");
  flags.add("device", device_name, "cpu or cuda[:N]");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (model_path.empty()) throw ihd::Error("--model is required (see --help)");
    if (bootstrap < 0) throw ihd::Error("--bootstrap must not be negative");
    const ihd::Device device = ihd::Device::parse(device_name);
    const TrainedModel trained = load_trained_model(model_path, device);
    TrainOptions options = trained.options;
    if (!data_path.empty()) options.data = data_path;
    const TrainingData data = open_training_data(options);
    if (split == "auto") split = data.test.empty() ? "validation" : "test";
    std::vector<size_t> indices;
    if (split == "train")
      indices = data.train;
    else if (split == "validation")
      indices = data.validation;
    else if (split == "test")
      indices = data.test;
    else if (split == "all") {
      for (size_t i = 0; i < data.dataset->records().size(); ++i) indices.push_back(i);
    } else {
      throw ihd::Error("--split '" + split + "': expected auto, train, validation, test or all");
    }
    if (indices.empty()) throw ihd::Error("the " + split + " split of the data is empty");

    ihd::data::BatchLoader loader(*data.dataset, indices, loader_options(options, false));
    Predictions predictions =
        predict(*trained.model, loader, data.label_columns, options.normalize, device);
    // The run's calibration, as ihd_predict applies it: its threshold is on these probabilities.
    apply_temperatures(predictions, trained.temperatures);
    const int headline = data.headline_output;
    const training::EpochRecord record =
        epoch_record(0, split, 0, predictions, headline, data.label_names, target_sensitivity);
    print_metrics(split.c_str(), record.metrics);
    for (const auto& [name, value] : record.extra) std::printf("  %s %.4f\n", name.c_str(), value);

    const auto& scores = predictions.scores[headline];
    const auto& labels = predictions.labels[headline];
    const training::BootstrapIntervals intervals =
        training::bootstrap_intervals(scores, labels, trained.decision_threshold, bootstrap, 1);
    std::printf(
        "bootstrap 95%% intervals (%d resamples, threshold %.4f): AUC %.4f [%.4f, %.4f]  "
        "sensitivity %.4f [%.4f, %.4f]  specificity %.4f [%.4f, %.4f]\n",
        bootstrap, trained.decision_threshold, intervals.roc_auc.estimate, intervals.roc_auc.lower,
        intervals.roc_auc.upper, intervals.sensitivity.estimate, intervals.sensitivity.lower,
        intervals.sensitivity.upper, intervals.specificity.estimate, intervals.specificity.lower,
        intervals.specificity.upper);

    std::vector<std::string> patients;
    for (size_t index : predictions.indices)
      patients.push_back(data.dataset->records()[index].patient_id);
    const training::PatientScores by_patient =
        training::aggregate_by_patient(patients, scores, labels);
    print_metrics("per patient", training::compute_metric_set(by_patient.scores, by_patient.labels,
                                                              target_sensitivity));

    const fs::path run_dir =
        fs::is_directory(model_path) ? fs::path(model_path) : fs::path(model_path).parent_path();
    const fs::path out_dir = out.empty() ? run_dir / ("eval-" + split) : fs::path(out);
    // An earlier evaluation there is replaced; a folder of anything else is refused.
    const FolderLock lock = open_owned_folder(out_dir, kEvalFormat, FolderUse::overwrite);
    write_run_config(out_dir / kRunConfigName,
                     {{"format", kEvalFormat},
                      {"model", trained.weights_path},
                      {"data", options.data.empty() ? "synthetic" : options.data},
                      {"split", split},
                      {"decision_threshold", std::to_string(trained.decision_threshold)},
                      {"target_sensitivity", std::to_string(target_sensitivity)},
                      {"commit", build_commit()}});
    write_predictions_csv(out_dir / "predictions.csv", predictions, data.label_names);
    training::RunReport report;
    report.title = "ihd evaluation: " + model_path + " on " + split;
    report.config = {{"model", trained.weights_path},
                     {"data", options.data.empty() ? "synthetic" : options.data},
                     {"split", split},
                     {"decision threshold", std::to_string(trained.decision_threshold)}};
    report.history = {record};
    report.selection_split = split;
    report.best_curves = training::best_epoch_curves(split, scores, labels, target_sensitivity);
    report.intervals = intervals;
    const fs::path page = training::write_run_report(out_dir, report);
    std::printf("report: %s\n", page.string().c_str());
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_eval: error: %s\n", error.what());
    return 1;
  }
}
