// The sequence stage's training loop (a progress line per epoch, common/progress.h, with the
// stage's ETA), its study-level metrics, and the two-stage run. A stop signal (interrupt.h) ends
// the sequence stage after its epoch in progress (its checkpoints are per epoch), and a two-stage
// run between its stages.
#include "apps/pipeline/sequence_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/compute_description.h"
#include "apps/pipeline/embedding.h"
#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/inference.h"
#include "apps/pipeline/interrupt.h"
#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/sequence_data.h"
#include "apps/pipeline/training_data.h"
#include "apps/pipeline/training_report.h"
#include "apps/training/epoch_lines.h"
#include "apps/training/metrics.h"
#include "apps/training/model_selection.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/random.h"
#include "data/dataset_selection.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "kernels/cpu/threads.h"
#include "model/weights.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// The record extras that compare the levels: study AUC and log loss, and the same of the slice
// model's outputs on the same slices.
void add_study_extras(training::EpochRecord& record, const std::string& prefix,
                      const Predictions& predictions, const std::vector<SliceSeries>& series,
                      const std::vector<size_t>& which, const SequenceLabels& labels) {
  const StudyScores study = study_scores(predictions, series, which, labels.headline);
  record.extra[prefix + "study_roc_auc"] = training::roc_auc(study.scores, study.labels);
  record.extra[prefix + "study_log_loss"] = training::log_loss(study.scores, study.labels);
}

class SequenceTrainer {
 public:
  explicit SequenceTrainer(const TrainOptions& options)
      : o_(options),
        run_dir_(options.resume.empty() ? options.out : options.resume),
        device_(Device::parse(options.device)),
        progress_(console_progress(options.quiet)) {}

  TrainingOutcome run();

 private:
  void train_epoch(int epoch, TrainingPosition& position, training::EpochRecord& record);
  training::EpochRecord validate(int epoch, Predictions& predictions) const;
  double current_threshold() const;

  TrainOptions o_;
  fs::path run_dir_;
  Device device_;
  ProgressOutput progress_;
  double validation_seconds_ = 0;  // the last validation pass, for the stage's ETA
  SliceEmbeddings embeddings_;
  SequenceLabels labels_;
  std::vector<SliceSeries> series_;
  std::vector<size_t> train_, validation_;
  std::vector<float> base_logits_;  // [S, L]: the slice model's logits the stage refines
  std::unique_ptr<SequenceModel> model_;
  std::unique_ptr<Adam> optimizer_;
  std::vector<training::EpochRecord> history_;
  training::SelectionRule rule_ = training::SelectionRule::kSpecificityAtTargetSensitivity;
  std::string ranking_split_ = "validation";
  std::map<std::string, double> stage1_extras_;
};

double SequenceTrainer::current_threshold() const {
  return training::best_record_threshold(history_, ranking_split_, rule_);
}

TrainingOutcome SequenceTrainer::run() {
  kernels::cpu::set_num_threads(
      o_.threads > 0 ? o_.threads : static_cast<int>(std::thread::hardware_concurrency()));
  const bool resuming = !o_.resume.empty();
  const FolderLock lock = open_owned_folder(
      run_dir_, kRunFormat,
      resuming ? FolderUse::resume : (o_.overwrite ? FolderUse::overwrite : FolderUse::fresh));
  if (!resuming) write_run_config(run_dir_ / kRunConfigName, run_config_values(o_, {}));
  rule_ = training::parse_selection_rule(o_.select);
  embeddings_ = read_embeddings(o_.features);
  labels_ = sequence_labels(embeddings_);
  series_ = group_into_series(embeddings_.records);
  base_logits_ = slice_model_base_logits(embeddings_, labels_.names);
  train_ = series_of_split(series_, data::Split::train);
  validation_ = series_of_split(series_, data::Split::validation);
  IHD_CHECK_INPUT(!train_.empty(), o_.features, ": no training series");
  ranking_split_ = validation_.empty() ? "train" : "validation";
  std::printf("sequence stage: %zu slices in %zu series (%zu train, %zu validation) from %s\n",
              embeddings_.count(), series_.size(), train_.size(), validation_.size(),
              o_.features.c_str());

  SequenceModelConfig config;
  config.input_features =
      embeddings_.feature_count + static_cast<int>(embeddings_.output_names.size());
  config.kind = parse_sequence_kind(o_.sequence_model);
  config.hidden = o_.sequence_hidden;
  config.outputs = static_cast<int>(labels_.columns.size());
  config.seed = static_cast<uint64_t>(o_.seed);
  model_ = std::make_unique<SequenceModel>(config);
  model_->to(device_);
  kernels::AdamHyper hyper;
  hyper.lr = static_cast<float>(o_.sequence_lr);
  optimizer_ = std::make_unique<Adam>(model_->named_parameters(), hyper);

  const bool slice_model_has_every_label =
      std::all_of(labels_.names.begin(), labels_.names.end(), [&](const std::string& name) {
        return std::find(embeddings_.output_names.begin(), embeddings_.output_names.end(), name) !=
               embeddings_.output_names.end();
      });
  if (!validation_.empty() && slice_model_has_every_label) {
    std::vector<std::vector<float>> stage1(embeddings_.count());
    const size_t label_count = labels_.names.size();
    for (size_t slice = 0; slice < embeddings_.count(); ++slice) {
      stage1[slice].assign(base_logits_.begin() + slice * label_count,
                           base_logits_.begin() + (slice + 1) * label_count);
    }
    const Predictions baseline = predictions_of(embeddings_, series_, validation_, stage1, labels_);
    training::EpochRecord record = epoch_record(0, "validation", 0, baseline, labels_.headline,
                                                labels_.names, o_.target_sensitivity);
    add_study_extras(record, "", baseline, series_, validation_, labels_);
    stage1_extras_["stage1_roc_auc"] = record.metrics.roc_auc;
    stage1_extras_["stage1_study_roc_auc"] = record.extra["study_roc_auc"];
    if (record.extra.count("rsna_weighted_log_loss")) {
      stage1_extras_["stage1_rsna_weighted_log_loss"] = record.extra["rsna_weighted_log_loss"];
    }
    std::printf(
        "the slice model on validation: AUC %.4f, study AUC %.4f%s\n", record.metrics.roc_auc,
        record.extra["study_roc_auc"],
        record.extra.count("rsna_weighted_log_loss")
            ? (", weighted log loss " + std::to_string(record.extra["rsna_weighted_log_loss"]))
                  .c_str()
            : "");
  }

  TrainingPosition position;
  position.partial = make_predictions(config.outputs);
  if (resuming && fs::exists(run_dir_ / kResumeCheckpointName)) {
    load_resume_checkpoint(run_dir_, *model_, *optimizer_, position, {});
    if (fs::exists(run_dir_ / training::kHistoryCsvName))
      history_ = training::read_history(run_dir_);
    std::erase_if(history_, [&](const auto& r) { return r.epoch >= position.next_epoch; });
    std::printf("resuming %s at epoch %d\n", run_dir_.string().c_str(), position.next_epoch);
  }
  std::printf("training the %s sequence model (%.3f M parameters) on %s\n",
              o_.sequence_model.c_str(), model_->parameter_count() / 1e6,
              compute_description(device_).c_str());

  {
    const GracefulStopSection graceful("epoch");
    for (int epoch = position.next_epoch; epoch <= o_.sequence_epochs; ++epoch) {
      training::EpochRecord train_record;
      train_epoch(epoch, position, train_record);
      history_.push_back(train_record);
      Predictions validation = make_predictions(config.outputs);
      if (!validation_.empty()) {
        history_.push_back(validate(epoch, validation));
        validation_seconds_ = history_.back().seconds;
      }
      training::write_history(run_dir_, history_);
      std::printf("%s\n",
                  training::format_epoch_summary(o_.sequence_epochs, train_record,
                                                 validation_.empty() ? nullptr : &history_.back())
                      .c_str());
      save_weights(*model_, (run_dir_ / kLastCheckpointName).string(),
                   {{"epoch", std::to_string(epoch)}, {"stage", "sequence"}});
      const auto best = training::best_record_index(history_, ranking_split_, rule_);
      if (best && history_[*best].epoch == epoch && !validation_.empty()) {
        save_weights(*model_, (run_dir_ / kBestCheckpointName).string(),
                     {{"epoch", std::to_string(epoch)}, {"stage", "sequence"}});
        write_predictions_csv(run_dir_ / "best_predictions.csv", validation, labels_.names);
      }
      position.next_epoch = epoch + 1;
      save_resume_checkpoint(run_dir_, *model_, *optimizer_, position);
      write_training_report(run_dir_);
      if (stop_signal() != 0 && epoch < o_.sequence_epochs) {
        throw Interrupted(stop_signal(), "sequence-stage epoch " + std::to_string(epoch) +
                                             " step " + std::to_string(position.global_step));
      }
    }
  }

  TrainingOutcome outcome;
  outcome.history = history_;
  if (const auto best = training::best_record_index(history_, ranking_split_, rule_)) {
    outcome.best = history_[*best];
  }
  RunCalibration calibration;
  calibration.label_names = labels_.names;
  calibration.decision_threshold = current_threshold();
  if (!validation_.empty() && fs::exists(run_dir_ / kBestCheckpointName)) {
    load_weights(*model_, (run_dir_ / kBestCheckpointName).string());
    Predictions validation = make_predictions(config.outputs);
    validate(0, validation);
    calibration.temperatures = fit_output_temperatures(validation);
    apply_temperatures(validation, calibration.temperatures);
    calibration.decision_threshold = calibrated_probability(
        calibration.decision_threshold, calibration.temperatures[labels_.headline]);
    calibration.decision_thresholds = sensitivity_thresholds(validation, o_.target_sensitivity);
    calibration.decision_thresholds[labels_.headline] = calibration.decision_threshold;
    const StudyScores study = study_scores(validation, series_, validation_, labels_.headline);
    const auto point =
        training::threshold_for_sensitivity(study.scores, study.labels, o_.target_sensitivity);
    calibration.study_decision_threshold = point.reachable ? point.at_threshold.threshold : 0.5;
  }
  outcome.decision_threshold = calibration.decision_threshold;
  write_run_config(run_dir_ / kRunConfigName, run_config_values(o_, calibration));
  write_training_report(run_dir_);  // again, with the calibrated threshold
  return outcome;
}

void SequenceTrainer::train_epoch(int epoch, TrainingPosition& position,
                                  training::EpochRecord& record) {
  model_->train();
  std::vector<SeriesChunk> chunks = chunk_series(series_, train_, o_.sequence_length);
  std::vector<size_t> order(chunks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  data::deterministic_shuffle(
      order, mix_seed(static_cast<uint64_t>(o_.seed)) ^ mix_seed(static_cast<uint64_t>(epoch)));
  std::vector<SeriesChunk> shuffled;
  for (size_t i : order) shuffled.push_back(chunks[i]);

  BceOptions loss_options;
  if (!labels_.class_weights.empty()) {
    loss_options.class_weight = Tensor::from_vector(
        Shape{static_cast<int64_t>(labels_.class_weights.size())}, labels_.class_weights, device_);
  }
  Predictions seen = make_predictions(static_cast<int>(labels_.columns.size()));
  std::int64_t slices = 0;  // chunks overlap: a slice is counted once per chunk holding it
  for (const SeriesChunk& chunk : shuffled) slices += static_cast<std::int64_t>(chunk.length);
  Progress progress(progress_,
                    "epoch " + std::to_string(epoch) + "/" + std::to_string(o_.sequence_epochs),
                    slices, "slices");
  const int epochs_after = o_.sequence_epochs - epoch;
  progress.set_run_remainder(epochs_after * slices, (epochs_after + 1) * validation_seconds_);
  const double start = steady_clock_seconds();
  const size_t batch = static_cast<size_t>(o_.sequence_batch);
  for (size_t first = 0; first < shuffled.size(); first += batch) {
    const size_t count = std::min(batch, shuffled.size() - first);
    const SequenceBatch inputs =
        make_sequence_batch(embeddings_, series_, std::span(shuffled).subspan(first, count),
                            base_logits_, labels_.columns, device_);
    loss_options.row_weight = inputs.row_weights;
    const Tensor logits = refined_logits(*model_, inputs);
    const Tensor loss = binary_cross_entropy_with_logits(logits, inputs.targets, loss_options);
    const double loss_value = loss.item();
    if (!std::isfinite(loss_value)) {
      throw NonFiniteLoss("loss is " + std::to_string(loss_value) + " at step " +
                          std::to_string(position.global_step + 1) + " (epoch " +
                          std::to_string(epoch) + ") of the sequence stage");
    }
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    ++position.global_step;
    const std::vector<float> values = logits.to_vector();
    const size_t outputs = labels_.columns.size();
    for (size_t c = 0; c < count; ++c) {
      for (int t = 0; t < inputs.lengths[c]; ++t) {
        const size_t row = c * static_cast<size_t>(inputs.steps) + static_cast<size_t>(t);
        const size_t slice = inputs.row_slices[row];
        append_slice_prediction(seen, embeddings_.records[slice], slice, &values[row * outputs],
                                labels_);
      }
    }
    progress.update(static_cast<std::int64_t>(seen.count()), seen.mean_loss());
  }
  progress.finish(seen.mean_loss());
  record = epoch_record(epoch, "train", o_.sequence_lr, seen, labels_.headline, labels_.names,
                        o_.target_sensitivity);
  record.seconds = steady_clock_seconds() - start;
  record.images_per_second = record.seconds > 0 ? seen.count() / record.seconds : 0;
}

training::EpochRecord SequenceTrainer::validate(int epoch, Predictions& predictions) const {
  model_->eval();
  const double start = steady_clock_seconds();
  const std::vector<std::vector<float>> logits =
      sequence_logits(*model_, embeddings_, series_, validation_, base_logits_, o_.sequence_length,
                      o_.sequence_batch, device_);
  predictions = predictions_of(embeddings_, series_, validation_, logits, labels_);
  training::EpochRecord record =
      epoch_record(epoch, "validation", o_.sequence_lr, predictions, labels_.headline,
                   labels_.names, o_.target_sensitivity);
  add_study_extras(record, "", predictions, series_, validation_, labels_);
  for (const auto& [name, value] : stage1_extras_) record.extra[name] = value;
  record.seconds = steady_clock_seconds() - start;
  record.images_per_second = record.seconds > 0 ? predictions.count() / record.seconds : 0;
  return record;
}

}  // namespace

TrainingOutcome run_sequence_training(const TrainOptions& options) {
  return SequenceTrainer(options).run();
}

TrainingOutcome run_two_stage_training(const TrainOptions& options) {
  const fs::path run_dir = options.resume.empty() ? options.out : options.resume;
  run_training(options);
  write_training_report(run_dir);  // again, with the calibrated threshold
  if (stop_signal() != 0) throw Interrupted(stop_signal(), "the end of the slice stage");

  const fs::path features = run_dir / kFeaturesFolderName;
  if (folder_format(features) != kFeaturesFormat || !fs::exists(features / "slices.tsv")) {
    std::printf("\n== embedding every slice with the selected slice model -> %s\n",
                features.string().c_str());
    const Device device = Device::parse(options.device);
    const TrainedModel trained = load_trained_model(run_dir, device);
    const TrainingData data = open_training_data(every_slice_options(trained.options));
    write_embeddings(features,
                     embed_dataset(trained, *data.dataset, {}, options.batch, device,
                                   console_progress(options.quiet)),
                     {{"model", trained.weights_path},
                      {"data", options.data.empty() ? "synthetic" : options.data},
                      {"data_description", data.description},
                      {"commit", build_commit()}});
  }

  const fs::path sequence_dir = run_dir / kSequenceRunName;
  TrainOptions sequence = options;
  sequence.stage = "sequence";
  sequence.sequence_stage = false;
  sequence.features = features.string();
  sequence.out = sequence_dir.string();
  sequence.resume = folder_format(sequence_dir) == kRunFormat ? sequence_dir.string() : "";
  sequence.overwrite = false;
  std::printf("\n== the sequence stage -> %s\n", sequence_dir.string().c_str());
  return run_sequence_training(sequence);
}

}  // namespace ihd::pipeline
