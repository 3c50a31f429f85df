// ihd_eval: a trained run and a labelled set -> the full metric table (at 0.5 and at the threshold
// that reaches the target sensitivity, with the specificity it costs), bootstrap 95% confidence
// intervals for AUC, sensitivity and specificity, per-patient results (a patient is positive if
// any slice is), calibration before and after the run's temperatures (ECE, MCE, Brier, the
// reliability diagram), and for a two-stage run both stages on the same slices and the study
// level (bootstrap intervals that resample studies). Writes an evaluation folder with
// report.html, predictions.csv (one row per image: id, patient, study, each label and score, the
// decision at the run's threshold) and config.json (what was evaluated). An earlier evaluation in
// that folder is replaced; a folder holding anything else is refused.
//
// With --study-labels FILE (CQ500's reads.csv: the majority of three readers per study) and DICOM
// INPUT files or folders, it scores an external set the way the literature does: one probability
// per study (its highest `any`), against the readers' labels, per finding. A DICOM file whose
// Modality is not CT is skipped with its reason unless --allow-non-ct.
//
// Scoring and embedding show a progress line (--quiet: none; the metrics and errors stay).
#include <cstdio>
#include <optional>

#include "apps/pipeline/compute_description.h"  // compute_description
#include "apps/pipeline/embedding.h"            // embed_dataset, every_slice_options
#include "apps/pipeline/evaluation.h"           // predict, epoch_record, write_predictions_csv
#include "apps/pipeline/flags.h"                // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/inference.h"            // load_trained_model, list_image_files
#include "apps/pipeline/level_evaluation.h"     // calibration_table, levels_table
#include "apps/pipeline/run_calibration.h"      // apply_temperatures
#include "apps/pipeline/run_config.h"           // write_run_config, build_commit
#include "apps/pipeline/run_folder.h"           // open_owned_folder
#include "apps/pipeline/sequence_data.h"        // group_into_series, sequence_logits
#include "apps/pipeline/training_data.h"        // open_training_data, loader_options
#include "apps/pipeline/two_stage_inference.h"  // load_sequence_stage, predict_series
#include "apps/training/eval_report.h"          // evaluate_level, write_eval_report
#include "apps/training/metrics.h"              // aggregate_by_patient
#include "common/atomic_file.h"                 // write_file_atomically
#include "common/console.h"                     // line_buffer_stdout
#include "common/delimited.h"                   // join_record
#include "common/error.h"                       // ihd::Error
#include "common/progress.h"                    // Progress, console_progress
#include "data/study_labels.h"                  // read_cq500_reads
#include "engine/device.h"                      // device_refusal

namespace {

using namespace ihd::pipeline;
namespace training = ihd::training;
namespace fs = std::filesystem;

struct EvalOptions {
  std::string model, data, split = "auto", out, device = "cpu", study_labels;
  double target_sensitivity = 0.95;
  int bootstrap = 1000;
  bool slice_only = false;
  bool allow_non_ct = false;
  bool quiet = false;
};

// m's numbers under title; unit names what was counted ("images", "patients"). Each line within
// 79 columns (an 80-column terminal).
void print_metrics(const char* title, const training::MetricSet& m, const char* unit = "images") {
  const auto& d = m.at_default_threshold;
  const auto& t = m.at_target_sensitivity;
  std::printf("%s: %lld %s (%lld positive)\n", title, static_cast<long long>(m.sample_count), unit,
              static_cast<long long>(m.positive_count));
  std::printf("  ROC AUC %.4f  PR AUC %.4f  log loss %.4f\n", m.roc_auc, m.pr_auc, m.log_loss);
  std::printf("  at 0.5:    recall %.4f  precision %.4f  specificity %.4f\n", d.recall, d.precision,
              d.specificity);
  std::printf("             accuracy %.4f  F1 %.4f\n", d.accuracy, d.f1);
  std::printf("             confusion [[TN %lld, FP %lld], [FN %lld, TP %lld]]\n",
              static_cast<long long>(d.counts.true_negative),
              static_cast<long long>(d.counts.false_positive),
              static_cast<long long>(d.counts.false_negative),
              static_cast<long long>(d.counts.true_positive));
  if (t.reachable) {
    std::printf("  sensitivity >= %.2f at threshold %.4f:\n", t.target_sensitivity,
                t.at_threshold.threshold);
    std::printf("             recall %.4f  specificity %.4f  precision %.4f\n",
                t.at_threshold.recall, t.at_threshold.specificity, t.at_threshold.precision);
  }
}

void print_interval(const char* name, const training::ConfidenceInterval& ci) {
  std::printf("  %s %.4f [%.4f, %.4f]\n", name, ci.estimate, ci.lower, ci.upper);
}

std::vector<size_t> split_indices(const TrainingData& data, std::string& split) {
  if (split == "auto") split = data.test.empty() ? "validation" : "test";
  if (split == "train") return data.train;
  if (split == "validation") return data.validation;
  if (split == "test") return data.test;
  if (split == "all") {
    std::vector<size_t> all(data.dataset->records().size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  throw ihd::Error("--split '" + split + "': expected auto, train, validation, test or all");
}

fs::path evaluation_folder(const EvalOptions& o, const std::string& name) {
  return o.out.empty() ? run_folder_of(o.model) / ("eval-" + name) : fs::path(o.out);
}

// Calibration before and after the temperatures: its table, and the headline's reliability chart.
void add_calibration(training::ReportSection& section, const std::string& title,
                     const Predictions& raw, const std::vector<std::string>& names,
                     const std::vector<double>& temperatures, int headline,
                     const std::string& chart_name) {
  section.tables.push_back(calibration_table(title, raw, names, temperatures));
  section.charts.emplace_back(chart_name, reliability_chart(title + ": " + names[headline], raw,
                                                            headline, temperatures[headline]));
}

void print_intervals(const training::EvaluatedLevel& level, const char* auc_name) {
  print_interval(auc_name, level.intervals.roc_auc);
  print_interval("sensitivity", level.intervals.sensitivity);
  print_interval("specificity", level.intervals.specificity);
}

// The labelled split of the run's data (or --data): slice and patient metrics, calibration, and
// for a two-stage run both stages and the study level.
int evaluate_split(const EvalOptions& o, const TrainedModel& trained,
                   const std::optional<TrainedSequenceStage>& stage, ihd::Device device) {
  TrainOptions options = stage ? every_slice_options(trained.options) : trained.options;
  if (!o.data.empty()) options.data = o.data;
  options.quiet = o.quiet;
  const TrainingData data = open_training_data(options);
  std::string split = o.split;
  const std::vector<size_t> indices = split_indices(data, split);
  if (indices.empty()) throw ihd::Error("the " + split + " split of the data is empty");
  std::printf("evaluating %s on the %s split: %zu images\n  on %s\n", trained.weights_path.c_str(),
              split.c_str(), indices.size(), compute_description(device).c_str());

  ihd::data::BatchLoader loader(*data.dataset, indices, loader_options(options, false));
  ihd::Progress progress(ihd::console_progress(o.quiet), "scoring " + split,
                         static_cast<std::int64_t>(indices.size()), "img");
  const Predictions raw =
      predict(*trained.model, loader, data.label_columns, options.normalize, device, progress);
  progress.finish(raw.mean_loss());
  // The run's calibration, as ihd_predict applies it: its threshold is on these probabilities.
  Predictions predictions = raw;
  apply_temperatures(predictions, trained.temperatures);
  const int headline = data.headline_output;
  const training::EpochRecord record =
      epoch_record(0, split, 0, predictions, headline, data.label_names, o.target_sensitivity);
  print_metrics(stage ? "slice model" : split.c_str(), record.metrics);
  for (const auto& [name, value] : record.extra) std::printf("  %s %.4f\n", name.c_str(), value);

  const auto& scores = predictions.scores[headline];
  const auto& labels = predictions.labels[headline];
  const training::EvaluatedLevel slices =
      training::evaluate_level(stage ? "slices (slice model)" : "slices", scores, labels,
                               trained.decision_threshold, o.target_sensitivity, o.bootstrap);
  std::printf("bootstrap 95%% intervals (%d resamples, threshold %.4f):\n", o.bootstrap,
              trained.decision_threshold);
  print_intervals(slices, "AUC");

  std::vector<std::string> patients;
  for (size_t index : predictions.indices)
    patients.push_back(data.dataset->records()[index].patient_id);
  const training::PatientScores by_patient =
      training::aggregate_by_patient(patients, scores, labels);
  const training::EvaluatedLevel patient_level = training::evaluate_level(
      stage ? "patients (slice model)" : "patients", by_patient.scores, by_patient.labels,
      trained.decision_threshold, o.target_sensitivity, o.bootstrap);
  print_metrics("per patient", patient_level.metrics, "patients");

  const std::string data_name = options.data.empty() ? "synthetic" : options.data;
  training::EvalReport report;
  report.title = "ihd evaluation: " + o.model + " on " + split;
  report.evaluated = {{"model", trained.weights_path}};
  if (stage) report.evaluated.emplace_back("sequence stage", stage->weights_path);
  report.evaluated.insert(
      report.evaluated.end(),
      {{"data", data_name},
       {"split", split},
       {"images", std::to_string(scores.size())},
       {"decision threshold (the run's)", training::format_metric(trained.decision_threshold, 4)},
       {"bootstrap resamples", std::to_string(o.bootstrap)}});
  report.levels = {slices, patient_level};
  report.patients = by_patient;
  report.patient_threshold = trained.decision_threshold;
  training::ReportSection calibration{"calibration", "Calibration", {}, {}};
  add_calibration(calibration, "Calibration of the slice model", raw, data.label_names,
                  trained.temperatures, headline, "reliability_slice_model");
  Predictions written = predictions;
  int written_headline = headline;
  double written_threshold = trained.decision_threshold;
  std::optional<training::ReportSection> two_stages;

  if (stage) {
    // Both stages on the same slices: the split's whole series, in order.
    const SliceEmbeddings embeddings = embed_dataset(trained, *data.dataset, indices, options.batch,
                                                     device, ihd::console_progress(o.quiet));
    const std::vector<SliceSeries> series = group_into_series(embeddings.records);
    std::vector<size_t> all_series(series.size());
    for (size_t s = 0; s < series.size(); ++s) all_series[s] = s;
    const SequenceLabels stage_labels = sequence_labels(embeddings);
    const std::vector<float> base = slice_model_base_logits(embeddings, stage_labels.names);
    std::vector<std::vector<float>> slice_logits(embeddings.count());
    for (size_t i = 0; i < embeddings.count(); ++i) {
      slice_logits[i].assign(base.begin() + i * stage_labels.names.size(),
                             base.begin() + (i + 1) * stage_labels.names.size());
    }
    Predictions stage1 = predictions_of(embeddings, series, all_series, slice_logits, stage_labels);
    apply_temperatures(stage1, trained.temperatures);
    const Predictions stage2_raw = predictions_of(
        embeddings, series, all_series,
        sequence_logits(*stage->model, embeddings, series, all_series, base,
                        stage->options.sequence_length, stage->options.sequence_batch, device),
        stage_labels);
    Predictions stage2 = stage2_raw;
    apply_temperatures(stage2, stage->calibration.temperatures);
    const int stage_headline = stage_labels.headline;
    const training::EpochRecord stage1_record =
        epoch_record(0, split, 0, stage1, stage_headline, stage_labels.names, o.target_sensitivity);
    const training::EpochRecord stage2_record =
        epoch_record(0, split, 0, stage2, stage_headline, stage_labels.names, o.target_sensitivity);
    print_metrics("sequence stage", stage2_record.metrics);
    const double study_threshold = stage->calibration.study_decision_threshold.value_or(0.5);
    std::vector<training::EvaluatedLevel> studies;
    for (const auto& [name, stage_predictions] :
         {std::pair<const char*, const Predictions*>{"slice model", &stage1},
          {"sequence stage", &stage2}}) {
      const StudyScores study =
          study_scores(*stage_predictions, series, all_series, stage_headline);
      studies.push_back(training::evaluate_level(name, study.scores, study.labels, study_threshold,
                                                 o.target_sensitivity, o.bootstrap));
    }
    for (const training::EvaluatedLevel& level : studies) {
      std::printf("%s, %lld studies, threshold %.4f:\n", level.name.c_str(),
                  static_cast<long long>(level.metrics.sample_count), level.threshold);
      print_intervals(level, "study AUC");
    }
    two_stages = training::ReportSection{"two-stages",
                                         "The two stages",
                                         {levels_table({stage1_record, stage2_record}, studies)},
                                         {}};
    add_calibration(calibration, "Calibration of the sequence stage", stage2_raw,
                    stage_labels.names, stage->calibration.temperatures, stage_headline,
                    "reliability_sequence_stage");
    // The headline is the sequence stage's slices: what the two-stage run predicts.
    report.levels.insert(
        report.levels.begin(),
        training::evaluate_level(
            "slices (sequence stage)", stage2.scores[stage_headline], stage2.labels[stage_headline],
            stage->calibration.decision_threshold, o.target_sensitivity, o.bootstrap));
    // And its studies, at the study threshold, with their curves and confusion matrix.
    training::EvaluatedLevel sequence_studies = studies.back();
    sequence_studies.name = "studies (sequence stage)";
    report.levels.push_back(sequence_studies);
    written = stage2;
    written_headline = stage_headline;
    written_threshold = stage->calibration.decision_threshold;
  }
  report.sections.push_back(calibration);
  if (two_stages) report.sections.push_back(*two_stages);

  const fs::path out_dir = evaluation_folder(o, split);
  // An earlier evaluation there is replaced; a folder of anything else is refused.
  const FolderLock lock = open_owned_folder(out_dir, kEvalFormat, FolderUse::overwrite);
  write_run_config(out_dir / kRunConfigName,
                   {{"format", kEvalFormat},
                    {"model", trained.weights_path},
                    {"sequence_stage", stage ? stage->weights_path : ""},
                    {"data", data_name},
                    {"split", split},
                    {"decision_threshold", std::to_string(trained.decision_threshold)},
                    {"target_sensitivity", std::to_string(o.target_sensitivity)},
                    {"commit", build_commit()}});
  write_predictions_csv(
      out_dir / "predictions.csv", written,
      stage ? stage->calibration.label_names : data.label_names,
      prediction_details(written, *data.dataset, written_headline, written_threshold));
  const fs::path page = training::write_eval_report(out_dir, report);
  std::printf("report: %s\n", page.string().c_str());
  return 0;
}

// "CQ500-CT-12" -> "cq500ct12": letters and digits, lower case.
std::string normalised(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// The labelled study a file belongs to: a folder of its path named after the study (CQ500's
// "CQ500CT12 CQ500CT12" for "CQ500-CT-12": the name, ignoring case and everything but letters
// and digits, followed by anything but a digit), or its DICOM PatientID.
std::optional<std::string> study_of(const fs::path& file,
                                    const std::map<std::string, std::string>& by_normalised) {
  for (const fs::path& part : file.parent_path()) {
    const std::string name = normalised(part.string());
    for (const auto& [key, study] : by_normalised) {
      if (name.rfind(key, 0) == 0 && (name.size() == key.size() || !std::isdigit(name[key.size()])))
        return study;
    }
  }
  return std::nullopt;
}

// An external set with study-level labels (CQ500's reads.csv): one probability per study and
// label (the highest of its slices), scored against the readers' majority.
int evaluate_studies_with_labels(const EvalOptions& o, const std::vector<std::string>& inputs,
                                 const TrainedModel& trained,
                                 const std::optional<TrainedSequenceStage>& stage,
                                 ihd::Device device) {
  const ihd::data::StudyLabelTable table = ihd::data::read_cq500_reads(o.study_labels);
  for (const std::string& problem : table.first_problems)
    std::printf("labels: %s\n", problem.c_str());
  std::map<std::string, std::string> by_normalised;
  for (const auto& [study, labels] : table.by_study) by_normalised[normalised(study)] = study;
  const std::vector<fs::path> files = list_image_files(inputs);
  std::map<std::string, std::vector<fs::path>> files_of;
  size_t unmatched = 0;
  for (const fs::path& file : files) {
    if (const auto study = study_of(file, by_normalised)) {
      files_of[*study].push_back(file);
    } else {
      ++unmatched;
    }
  }
  std::printf("%zu files in %zu labelled studies; %zu files matched no study of %s\n",
              files.size() - unmatched, files_of.size(), unmatched, o.study_labels.c_str());
  if (files_of.empty()) throw ihd::Error("no input file belongs to a study of " + o.study_labels);

  const std::vector<std::string>& names =
      stage ? stage->calibration.label_names : trained.label_names;
  std::map<std::string, std::vector<double>> probability_of;  // study -> highest per label
  size_t skipped = 0;
  const InputReading reading{.allow_non_ct = o.allow_non_ct};
  ihd::Progress progress(ihd::console_progress(o.quiet), "scoring studies",
                         static_cast<std::int64_t>(files.size() - unmatched), "files");
  auto skip = [&](const fs::path& file, const std::exception& error) {
    progress.erase();
    std::fprintf(stderr, "skipped %s\n", ihd::as_file_error(file.string(), error).what());
    ++skipped;
    progress.add(1);
  };
  for (const auto& [study, study_files] : files_of) {
    std::vector<double>& highest = probability_of[study];
    highest.assign(names.size(), 0.0);
    auto take = [&](const std::vector<double>& probabilities) {
      for (size_t k = 0; k < names.size(); ++k) highest[k] = std::max(highest[k], probabilities[k]);
    };
    if (stage) {
      predict_series(
          trained, *stage, study_files, reading, trained.options.batch, device,
          [&](const SeriesPrediction& series) {
            for (const auto& probabilities : series.probabilities) take(probabilities);
            progress.add(static_cast<std::int64_t>(series.probabilities.size()));
          },
          skip);
      continue;
    }
    for (const fs::path& file : study_files) {
      try {
        for (const auto& probabilities :
             predict_probabilities(trained, prepare_inputs(file, trained.options, reading), device))
          take(probabilities);
        progress.add(1);
      } catch (const std::exception& error) {
        skip(file, error);
      }
    }
  }
  progress.finish();

  const double threshold = stage ? stage->calibration.study_decision_threshold.value_or(0.5)
                                 : trained.decision_threshold;
  training::ReportTable findings;
  findings.title = "Studies against the readers' majority";
  findings.header = {"finding", "label", "studies", "positive", "study AUC [95% CI]"};
  std::string rows = join_record({"study", "category", "label_any", "any_probability", "decision"},
                                 ihd::TextFormat::csv) +
                     "\n";
  std::optional<training::EvaluatedLevel> any_level;
  for (size_t f = 0; f < ihd::data::cq500_hemorrhage_findings.size(); ++f) {
    const auto& finding = ihd::data::cq500_hemorrhage_findings[f];
    const auto output = std::find(names.begin(), names.end(), std::string(finding.rsna_subtype));
    if (output == names.end()) continue;
    const size_t k = static_cast<size_t>(output - names.begin());
    const auto subtype = std::find(ihd::data::rsna_subtypes.begin(), ihd::data::rsna_subtypes.end(),
                                   finding.rsna_subtype);
    const size_t column = static_cast<size_t>(subtype - ihd::data::rsna_subtypes.begin());
    StudyScores studies;
    for (const auto& [study, highest] : probability_of) {
      studies.scores.push_back(highest[k]);
      studies.labels.push_back(table.by_study.at(study).majority[column] > 0 ? 1 : 0);
    }
    const training::EvaluatedLevel level =
        training::evaluate_level("studies: " + std::string(finding.column), studies.scores,
                                 studies.labels, threshold, o.target_sensitivity, o.bootstrap);
    const auto positives = std::count(studies.labels.begin(), studies.labels.end(), 1);
    findings.rows.push_back({std::string(finding.column), std::string(finding.rsna_subtype),
                             std::to_string(studies.scores.size()), std::to_string(positives),
                             training::format_interval(level.intervals.roc_auc)});
    std::printf("%s (%s): %zu studies, %ld positive\n", std::string(finding.column).c_str(),
                std::string(finding.rsna_subtype).c_str(), studies.scores.size(),
                static_cast<long>(positives));
    print_interval("AUC", level.intervals.roc_auc);
    if (finding.rsna_subtype == "any") any_level = level;
  }
  if (!any_level) throw ihd::Error("the model has no `any` output to score studies with");
  for (const auto& [study, highest] : probability_of) {
    const auto any =
        static_cast<size_t>(std::find(names.begin(), names.end(), "any") - names.begin());
    const ihd::data::StudyLabels& labels = table.by_study.at(study);
    char probability[32];
    std::snprintf(probability, sizeof probability, "%.6f", highest[any]);
    rows += join_record({study, labels.category,
                         labels.majority[ihd::data::any_label_index] > 0 ? "1" : "0", probability,
                         highest[any] >= threshold ? "1" : "0"},
                        ihd::TextFormat::csv) +
            "\n";
  }
  std::printf("ICH at threshold %.4f:\n", threshold);
  print_interval("sensitivity", any_level->intervals.sensitivity);
  print_interval("specificity", any_level->intervals.specificity);

  const fs::path out_dir = evaluation_folder(o, "studies");
  const FolderLock lock = open_owned_folder(out_dir, kEvalFormat, FolderUse::overwrite);
  write_run_config(out_dir / kRunConfigName,
                   {{"format", kEvalFormat},
                    {"model", trained.weights_path},
                    {"sequence_stage", stage ? stage->weights_path : ""},
                    {"study_labels", o.study_labels},
                    {"study_decision_threshold", std::to_string(threshold)},
                    {"commit", build_commit()}});
  ihd::write_file_atomically(out_dir / "study_predictions.csv", rows);
  training::EvalReport report;
  report.title = "ihd evaluation: " + o.model + " on the studies of " + o.study_labels;
  report.evaluated = {{"model", trained.weights_path},
                      {"study labels", o.study_labels},
                      {"studies", std::to_string(probability_of.size())},
                      {"files skipped", std::to_string(skipped)},
                      {"study threshold (the run's)", training::format_metric(threshold, 4)},
                      {"bootstrap resamples", std::to_string(o.bootstrap)}};
  report.levels = {*any_level};
  report.sections.push_back({"findings", "Every finding", {findings}, {}});
  const fs::path page = training::write_eval_report(out_dir, report);
  std::printf("report: %s\n", page.string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  EvalOptions o;
  FlagSet flags("ihd_eval",
                "--model RUN_DIR [flags]\n   or: ihd_eval --model RUN_DIR --study-labels reads.csv "
                "[flags] INPUT...",
                "Scores a trained run on a labelled set: metrics with bootstrap intervals, "
                "calibration, per patient and per study; writes an evaluation folder.");
  flags.group("model and data");
  flags.add("model", o.model, "RUN_DIR|FILE", "training run folder or .safetensors checkpoint");
  flags.add("data", o.data, "PATH", "labelled set").shown_default("the run's own data");
  flags
      .add("split", o.split, "",
           "auto (test if any, else validation), train, validation, test or all")
      .choices({"auto", "train", "validation", "test", "all"});
  flags.add("study-labels", o.study_labels, "FILE",
            "study-level labels (CQ500 reads.csv) for the DICOM INPUT files or folders");
  flags.add("slice-only", o.slice_only,
            "evaluate the slice model even if the run has a sequence stage");
  flags.group("evaluation");
  flags.add("target-sensitivity", o.target_sensitivity, "S", "sensitivity of the operating point")
      .above(0)
      .at_most(1);
  flags.add("bootstrap", o.bootstrap, "N", "bootstrap resamples for the confidence intervals")
      .range(0, 1000000);
  flags.add("allow-non-ct", o.allow_non_ct,
            "with --study-labels: score DICOM files whose Modality is not CT");
  flags.group("output");
  flags.add("out", o.out, "DIR", "evaluation folder").shown_default("<run>/eval-<split>");
  flags.group("run");
  flags.add("device", o.device, "cpu|cuda[:N]", "where to run the model")
      .validated_by(ihd::device_refusal);
  flags.add("quiet", o.quiet, "no progress lines (the metrics and errors stay)");
  flags.example("ihd_eval --model runs/latest",
                "the newest run on its test split (or validation), into runs/latest/eval-test");
  flags.example("ihd_eval --model runs/latest --data RSNA_DIR --split all",
                "another labelled set, every image of it");
  flags.example("ihd_eval --model runs/two-stage --study-labels reads.csv CQ500_DIR",
                "an external set of studies against its readers' majority, per finding");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (o.model.empty()) throw UsageError("--model is required (see --help)");
    if (o.study_labels.empty() != flags.positional().empty()) {
      throw UsageError("--study-labels and INPUT files go together (an external set of studies)");
    }
    const ihd::Device device = ihd::Device::parse(o.device);
    const TrainedModel trained = load_trained_model(o.model, device);
    const std::optional<TrainedSequenceStage> stage =
        o.slice_only ? std::nullopt : load_sequence_stage(run_folder_of(o.model), trained, device);
    return o.study_labels.empty()
               ? evaluate_split(o, trained, stage, device)
               : evaluate_studies_with_labels(o, flags.positional(), trained, stage, device);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_eval: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_eval: error: %s\n", error.what());
    return 1;
  }
}
