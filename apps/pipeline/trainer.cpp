// The training loop (fault point "step" after each optimizer step) and the epoch bookkeeping
// around it: the start lines (model, device, threads, precision, data, batches), a progress line
// for each epoch's training and validation (common/progress.h) with the run's ETA, the epoch
// summary, and the stop on a signal (interrupt.h) after the step in progress. Under mpirun each
// rank runs this loop on its share of every global batch (data_parallel.h): gradients averaged in
// buckets during backward (engine/distributed/gradient_averager.h), validation split across the
// ranks, every decision (stop, non-finite loss) taken on gathered values so that all ranks take
// it together, and rank 0 alone writing the run folder while the others wait at a barrier.
#include "apps/pipeline/trainer.h"

#include <cmath>
#include <cstdio>

#include "apps/pipeline/applied_settings.h"
#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/compute_description.h"
#include "apps/pipeline/data_parallel.h"
#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/interrupt.h"
#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/numerics_check.h"
#include "apps/pipeline/rank_share.h"
#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/training_data.h"
#include "apps/pipeline/training_report.h"
#include "apps/training/epoch_lines.h"
#include "apps/training/model_selection.h"
#include "apps/training/report.h"
#include "common/atomic_file.h"
#include "common/delimited.h"
#include "common/error.h"
#include "common/fault_injection.h"
#include "common/progress.h"
#include "engine/autocast.h"
#include "engine/distributed/gradient_averager.h"
#include "engine/ops.h"
#include "engine/optim/lr_schedule.h"
#include "kernels/cpu/threads.h"
#include "model/weights.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Optimizer> make_optimizer(const TrainOptions& o, const ResNet& model) {
  if (o.optimizer == "sgd") {
    kernels::SgdHyper hyper;
    hyper.lr = static_cast<float>(o.lr);
    hyper.momentum = static_cast<float>(o.momentum);
    hyper.weight_decay = static_cast<float>(o.weight_decay);
    return std::make_unique<Sgd>(model.trainable_parameters(), hyper);
  }
  kernels::AdamHyper hyper;
  hyper.lr = static_cast<float>(o.lr);
  hyper.weight_decay = static_cast<float>(o.weight_decay);
  hyper.decoupled_weight_decay = o.optimizer == "adamw";
  return std::make_unique<Adam>(model.trainable_parameters(), hyper);
}

LrSchedule make_schedule(const TrainOptions& o, long steps_per_epoch) {
  LrSchedule schedule;
  schedule.kind = LrSchedule::parse_kind(o.schedule);
  schedule.base_lr = static_cast<float>(o.lr);
  schedule.warmup_steps = o.warmup_epochs * steps_per_epoch;
  schedule.total_steps = o.epochs * steps_per_epoch;
  schedule.step_size = std::max<long>(1, (schedule.total_steps - schedule.warmup_steps) / 3);
  return schedule;
}

// The run's global batch (rank count x per-rank batch), kept when a run resumes on another
// number of ranks: each rank's batch becomes global / ranks.
int per_rank_batch_on_resume(const TrainOptions& o, const distributed::ProcessGroup& group) {
  const fs::path config_path = fs::path(o.resume) / kRunConfigName;
  const long saved_ranks =
      options_from_config(read_run_config(config_path), config_path.string()).ranks;
  const long global = saved_ranks * o.batch;
  IHD_CHECK_INPUT(global % group.size() == 0, "the run trained with a global batch of ", global,
                  " (", saved_ranks, " ranks x --batch ", o.batch, "), which ", group.size(),
                  " ranks cannot share equally: resume it on a number of ranks that divides ",
                  global);
  return static_cast<int>(global / group.size());
}

class Trainer {
 public:
  explicit Trainer(const TrainOptions& options)
      : o_(options),
        run_dir_(options.resume.empty() ? options.out : options.resume),
        group_(distributed::ProcessGroup::world()),
        device_(rank_device(options.device, group_)),
        uploader_(device_),
        progress_(console_progress(options.quiet || !group_.is_root())) {
    IHD_CHECK(!run_dir_.empty(), "a training run needs a run folder");
  }

  TrainingOutcome run();

 private:
  // Trains one epoch (or its rest); returns false when --max-steps or a stop signal ended it
  // part-way.
  bool train_epoch(int epoch, data::BatchLoader& loader, TrainingPosition& position);
  void finish_epoch(int epoch, bool completed, TrainingPosition& position,
                    data::BatchLoader* validation);
  void write_report();
  // Empties the partial epoch's training predictions (a new epoch starts).
  void reset_partial(TrainingPosition& position) const;
  // Opens the data on rank 0 first (which synthesises or prepares it), then on the others.
  void open_data();
  double current_threshold() const;
  // Under a launcher, or in one process with --data-parallel: gradients go through the buckets.
  bool data_parallel() const { return group_.launched() || o_.data_parallel; }
  bool max_steps_reached(const TrainingPosition& position) const {
    return o_.max_steps > 0 && position.global_step >= o_.max_steps;
  }
  // Tells `progress` what of the run follows it, for the run's ETA: `training_epochs` more epochs
  // of training and `validation_passes` more passes over validation. Each kind is timed by its
  // last pass in this process; a kind not yet timed counts its images at the task's own
  // throughput, a validation image as a third of a training image while training (a forward
  // pass without the backward).
  void set_run_remainder(Progress& progress, int training_epochs, int validation_passes,
                         bool task_is_validation) const;
  // Throws NonFiniteLoss: `what` (a non-finite loss, gradient or weight) at this step.
  [[noreturn]] void stop_non_finite(const std::string& what, long step, int epoch,
                                    size_t batch) const;

  TrainOptions o_;
  fs::path run_dir_;
  const distributed::ProcessGroup& group_;
  Device device_;
  BatchUploader uploader_;
  ProgressOutput progress_;
  size_t training_images_per_epoch_ = 0;
  size_t validation_images_ = 0;
  double training_seconds_per_image_ = NAN;    // the last epoch's training
  double validation_seconds_per_image_ = NAN;  // the last validation pass
  TrainingData data_;
  std::unique_ptr<ResNet> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<distributed::GradientAverager> averager_;  // when data_parallel()
  int stop_requested_ = 0;  // a stop signal any rank received, as all ranks agreed on it
  // This epoch's seconds spent waiting for the other ranks: the step's gather, and the gradient
  // sums still in flight when backward ended (history.csv's communication_seconds).
  double communication_seconds_ = 0;
  LrSchedule schedule_;
  std::vector<training::EpochRecord> history_;
  training::SelectionRule rule_ = training::SelectionRule::kSpecificityAtTargetSensitivity;
  std::string ranking_split_ = "validation";
};

double Trainer::current_threshold() const {
  return training::best_record_threshold(history_, ranking_split_, rule_);
}

void Trainer::open_data() {
  if (group_.is_root()) data_ = open_training_data(o_);
  group_.barrier();
  if (!group_.is_root()) data_ = open_training_data(o_);
}

TrainingOutcome Trainer::run() {
  // Each rank takes its share of the machine's cores.
  if (const int threads = rank_threads(o_.threads, group_); threads > 0) {
    kernels::cpu::set_num_threads(threads);
  }
  // Training and evaluation both compute in the chosen precision (engine/autocast.h).
  const AutocastGuard autocast(o_.precision == "bf16" ? DType::bf16 : DType::f32);
  const bool resuming = !o_.resume.empty();
  if (resuming) o_.batch = per_rank_batch_on_resume(o_, group_);
  o_.ranks = group_.size();
  check_same_settings(group_, option_values(o_));
  std::optional<FolderLock> lock;
  if (group_.is_root()) {
    lock.emplace(open_owned_folder(
        run_dir_, kRunFormat,
        resuming ? FolderUse::resume : (o_.overwrite ? FolderUse::overwrite : FolderUse::fresh)));
    // The folder is marked as this run's before any long work starts.
    if (!resuming) write_run_config(run_dir_ / kRunConfigName, run_config_values(o_, {}));
  }
  rule_ = training::parse_selection_rule(o_.select);
  open_data();
  ranking_split_ = data_.validation.empty() ? "train" : "validation";
  model_ = build_model(o_);
  model_->to(device_);
  if (o_.sync_bn && data_parallel()) set_replica_sum(*model_, replica_sum_over(group_, device_));
  optimizer_ = make_optimizer(o_, *model_);

  // Every rank walks the global batches (ranks x --batch) and takes its share of each.
  data::BatchLoaderOptions train_options = loader_options(o_, true);
  train_options.batch_size = o_.batch * group_.size();
  train_options.min_last_batch = train_options.batch_size;
  train_options.shard_index = group_.rank();
  train_options.shard_count = group_.size();
  data::BatchLoader train_loader(*data_.dataset, data_.train, train_options);
  std::unique_ptr<data::BatchLoader> validation_loader;
  if (!data_.validation.empty()) {
    validation_loader = std::make_unique<data::BatchLoader>(
        *data_.dataset, validation_share(data_.validation, group_.rank(), group_.size()),
        loader_options(o_, false));
  }
  const long steps_per_epoch = static_cast<long>(train_loader.batches_per_epoch());
  IHD_CHECK_INPUT(steps_per_epoch > 0, "fewer training images (", data_.train.size(),
                  ") than one batch (", train_options.batch_size, "): lower --batch");
  schedule_ = make_schedule(o_, steps_per_epoch);
  training_images_per_epoch_ = train_loader.images_per_epoch();
  validation_images_ = data_.validation.size();
  std::printf("training %s (%.2f M parameters) on %s\n", o_.arch.c_str(),
              model_->parameter_count() / 1e6, compute_description(device_, o_.precision).c_str());
  std::printf("data: %s\n", data_.description.c_str());
  std::printf("%s\n", training::format_training_batches(train_loader.sample_count(),
                                                        train_options.batch_size,
                                                        train_loader.batches_per_epoch(),
                                                        train_loader.left_out_per_epoch())
                          .c_str());

  TrainingPosition position;
  position.partial = make_predictions(static_cast<int>(data_.label_columns.size()));
  const bool has_checkpoint = fs::exists(run_dir_ / kResumeCheckpointName);
  if (resuming && !has_checkpoint) {
    std::printf(
        "resuming %s from the start with its saved config.json: it was stopped before its "
        "first checkpoint\n",
        run_dir_.string().c_str());
  }
  if (resuming && has_checkpoint && group_.is_root()) {
    std::vector<std::string> ids;
    for (const auto& record : data_.dataset->records()) ids.push_back(record.id);
    load_resume_checkpoint(run_dir_, *model_, *optimizer_, position, ids);
    // A run killed during its first epoch has checkpoints but no history yet.
    const bool first_epoch = position.next_epoch == 1;
    if (!first_epoch || fs::exists(run_dir_ / training::kHistoryCsvName)) {
      history_ = training::read_history(run_dir_);
    }
    std::erase_if(history_, [&](const auto& r) { return r.epoch >= position.next_epoch; });
    std::printf("resuming %s at epoch %d, batch %zu (step %ld)\n", run_dir_.string().c_str(),
                position.next_epoch, position.next_batch, position.global_step);
  }
  if (data_parallel()) {
    broadcast_training_state(group_, *model_, *optimizer_, position);
    averager_ = std::make_unique<distributed::GradientAverager>(
        group_, model_->trainable_parameters(),
        static_cast<std::size_t>(o_.bucket_mb * (1 << 20)));
    std::printf("data parallel: %d rank%s x batch %d = global batch %d; gradients summed in %zu "
                "bucket%s; batch norm statistics %s\n",
                group_.size(), group_.size() == 1 ? "" : "s", o_.batch, train_options.batch_size,
                averager_->bucket_count(),
                averager_->bucket_count() == 1 ? "" : "s",
                o_.sync_bn ? "over the global batch" : "per rank");
  }
  RunCalibration uncalibrated;
  uncalibrated.label_names = data_.label_names;
  uncalibrated.decision_threshold = current_threshold();
  if (group_.is_root()) write_run_config(run_dir_ / kRunConfigName, run_config_values(o_, uncalibrated));

  {
    const GracefulStopSection graceful("step");
    auto stopped_at = [&](int epoch) {
      return "epoch " + std::to_string(epoch) + " step " + std::to_string(position.global_step);
    };
    for (int epoch = position.next_epoch; epoch <= o_.epochs; ++epoch) {
      if (max_steps_reached(position)) break;
      const bool completed = train_epoch(epoch, train_loader, position);
      if (!completed && stop_requested_ != 0 && !max_steps_reached(position)) {
        // Stopped part-way: the checkpoint resumes at the next batch, as --checkpoint-steps' do.
        if (group_.is_root()) save_resume_checkpoint(run_dir_, *model_, *optimizer_, position);
        group_.barrier();
        throw Interrupted(stop_requested_, stopped_at(epoch));
      }
      finish_epoch(epoch, completed, position, validation_loader.get());
      if (!completed) break;
      stop_requested_ = agreed_stop_signal(group_, stop_signal());
      if (stop_requested_ != 0 && epoch < o_.epochs)
        throw Interrupted(stop_requested_, stopped_at(epoch));
    }
  }

  TrainingOutcome outcome;
  outcome.history = history_;
  if (const auto best = training::best_record_index(history_, ranking_split_, rule_)) {
    outcome.best = history_[*best];
  }
  RunCalibration calibration;
  calibration.label_names = data_.label_names;
  calibration.decision_threshold = current_threshold();
  if (!group_.is_root()) {
    group_.barrier();  // rank 0 calibrates and writes the final config.json
    return outcome;
  }
  validation_loader = data_.validation.empty() ? nullptr
                                               : std::make_unique<data::BatchLoader>(
                                                     *data_.dataset, data_.validation,
                                                     loader_options(o_, false));
  if (validation_loader && outcome.best && fs::exists(run_dir_ / kBestCheckpointName)) {
    // The selected epoch's weights, the temperatures that calibrate them on validation, and
    // each other output's threshold at the target sensitivity on the calibrated probabilities.
    load_weights(*model_, (run_dir_ / kBestCheckpointName).string());
    model_->eval();
    Progress progress(progress_, "calibration", static_cast<int64_t>(validation_images_), "img");
    Predictions validation = predict(*model_, *validation_loader, data_.label_columns,
                                     o_.normalize, device_, progress);
    progress.finish(validation.mean_loss());
    calibration.temperatures = fit_output_temperatures(validation);
    apply_temperatures(validation, calibration.temperatures);
    // The headline keeps the selected epoch's threshold (what the run reports), calibrated.
    calibration.decision_threshold = calibrated_probability(
        calibration.decision_threshold, calibration.temperatures[data_.headline_output]);
    calibration.decision_thresholds = sensitivity_thresholds(validation, o_.target_sensitivity);
    calibration.decision_thresholds[data_.headline_output] = calibration.decision_threshold;
  }
  outcome.decision_threshold = calibration.decision_threshold;
  write_run_config(run_dir_ / kRunConfigName, run_config_values(o_, calibration));
  group_.barrier();
  return outcome;
}

bool Trainer::train_epoch(int epoch, data::BatchLoader& loader, TrainingPosition& position) {
  model_->train();
  const bool continuing = position.next_epoch == epoch && position.next_batch > 0;
  if (!continuing) reset_partial(position);
  communication_seconds_ = 0;
  loader.begin_epoch(epoch, continuing ? position.next_batch : 0);
  Progress progress(progress_, "epoch " + std::to_string(epoch) + "/" + std::to_string(o_.epochs),
                    static_cast<int64_t>(loader.images_per_epoch()), "img",
                    static_cast<int64_t>(position.partial.count()));
  set_run_remainder(progress, o_.epochs - epoch, validation_images_ > 0 ? o_.epochs - epoch + 2 : 0,
                    false);
  const double start = steady_clock_seconds() - position.partial_seconds;
  BceOptions loss_options;
  if (o_.pos_weight != 1.0) {
    loss_options.pos_weight = Tensor::full(Shape{static_cast<int64_t>(data_.label_columns.size())},
                                           static_cast<float>(o_.pos_weight), device_);
  }
  data::Batch batch;
  long steps_done = 0;  // by this process in this epoch: the wait per step on the progress line
  while (loader.next(batch)) {
    const float lr = schedule_.lr_at(position.global_step);
    optimizer_->set_learning_rate(lr);
    const BatchTensors tensors = to_tensors(batch, data_.label_columns, o_.normalize, uploader_);
    const Tensor logits = model_->forward(tensors.images);
    const Tensor loss = binary_cross_entropy_with_logits(logits, tensors.targets, loss_options);
    // Every rank's scores and loss, so that all ranks decide alike.
    const std::vector<float> logit_values = logits.to_vector();
    const double local_loss = loss.item();
    const double gather_start = steady_clock_seconds();
    const GatheredStep gathered = gather_step(group_, *data_.dataset, batch, logit_values,
                                              tensors.targets.to_vector(), local_loss);
    communication_seconds_ += steady_clock_seconds() - gather_start;
    const double loss_value = gathered.mean_loss;
    const long step = position.global_step + 1;
    if (!std::isfinite(loss_value)) {
      stop_non_finite("loss is " + std::to_string(loss_value), step, epoch, batch.batch_index);
    }
    optimizer_->zero_grad();
    if (averager_) {
      averager_->backward(loss);
      communication_seconds_ += averager_->last_wait_seconds();
    } else {
      loss.backward();
    }
    if (o_.check_numerics) {
      if (auto found = find_non_finite_gradient(*model_)) {
        stop_non_finite(*found, step, epoch, batch.batch_index);
      }
    }
    optimizer_->step();
    fault_point("step");  // the weights moved; this step's checkpoint is not written yet
    if (o_.check_numerics) {
      if (auto found = find_non_finite_weight(*model_)) {
        stop_non_finite(*found + " after the update", step, epoch, batch.batch_index);
      }
    }
    ++position.global_step;
    if (o_.check_replicas) {
      check_replicas_agree(group_, *model_, "after step " + std::to_string(position.global_step));
    }

    append_batch(position.partial, gathered.logits, gathered.targets, gathered.batch, loss_value);
    position.partial_logits.insert(position.partial_logits.end(), gathered.logits.begin(),
                                   gathered.logits.end());
    position.partial_targets.insert(position.partial_targets.end(), gathered.targets.begin(),
                                    gathered.targets.end());
    stop_requested_ = agreed_stop_signal(group_, stop_signal());
    ++steps_done;
    if (averager_) progress.set_communication(communication_seconds_ / steps_done);
    progress.update(static_cast<int64_t>(position.partial.count()), position.partial.mean_loss());
    position.next_epoch = epoch;
    position.next_batch = batch.batch_index + 1;
    position.partial_seconds = steady_clock_seconds() - start;

    if (o_.checkpoint_steps > 0 && position.global_step % o_.checkpoint_steps == 0 &&
        group_.is_root()) {
      save_resume_checkpoint(run_dir_, *model_, *optimizer_, position);
    }
    if (max_steps_reached(position) || stop_requested_ != 0) break;
  }
  progress.finish(position.partial.mean_loss());
  if (position.partial.count() > 0) {
    training_seconds_per_image_ =
        position.partial_seconds / static_cast<double>(position.partial.count());
  }
  return position.next_batch >= loader.batches_per_epoch();
}

void Trainer::reset_partial(TrainingPosition& position) const {
  position.partial = make_predictions(static_cast<int>(data_.label_columns.size()));
  position.partial_logits.clear();
  position.partial_targets.clear();
  position.partial_seconds = 0;
}

void Trainer::set_run_remainder(Progress& progress, int training_epochs, int validation_passes,
                                bool task_is_validation) const {
  const double training_images =
      static_cast<double>(training_epochs) * static_cast<double>(training_images_per_epoch_);
  const double validation_images =
      static_cast<double>(validation_passes) * static_cast<double>(validation_images_);
  double items = 0, seconds = 0;
  if (task_is_validation && std::isfinite(training_seconds_per_image_)) {
    seconds += training_images * training_seconds_per_image_;
  } else {
    items += training_images;
  }
  if (!task_is_validation && std::isfinite(validation_seconds_per_image_)) {
    seconds += validation_images * validation_seconds_per_image_;
  } else {
    items += validation_images / (task_is_validation ? 1 : 3);
  }
  progress.set_run_remainder(std::llround(items), seconds);
}

void Trainer::stop_non_finite(const std::string& what, long step, int epoch, size_t batch) const {
  const fs::path checkpoint = run_dir_ / kResumeCheckpointName;
  throw NonFiniteLoss(what + " at step " + std::to_string(step) + " (epoch " +
                      std::to_string(epoch) + ", batch " + std::to_string(batch) + "); " +
                      (fs::exists(checkpoint)
                           ? "the last good checkpoint is " + checkpoint.string()
                           : std::string("no checkpoint was written before it")));
}

void Trainer::finish_epoch(int epoch, bool completed, TrainingPosition& position,
                           data::BatchLoader* validation_loader) {
  const double lr = optimizer_->learning_rate();
  training::EpochRecord train_record =
      epoch_record(epoch, "train", lr, position.partial, data_.headline_output, data_.label_names,
                   o_.target_sensitivity);
  train_record.seconds = position.partial_seconds;
  train_record.images_per_second =
      position.partial_seconds > 0 ? position.partial.count() / position.partial_seconds : 0;
  if (averager_) train_record.extra["communication_seconds"] = communication_seconds_;
  history_.push_back(train_record);

  std::optional<Predictions> validation;
  if (validation_loader) {
    model_->eval();
    broadcast_buffers(group_, *model_);  // the model is rank 0's, running statistics included
    const double start = steady_clock_seconds();
    Progress progress(progress_,
                      "validation " + std::to_string(epoch) + "/" + std::to_string(o_.epochs),
                      static_cast<int64_t>(validation_images_), "img");
    set_run_remainder(progress, o_.epochs - epoch, o_.epochs - epoch + 1, true);
    validation = gather_predictions(
        group_, *data_.dataset,
        predict(*model_, *validation_loader, data_.label_columns, o_.normalize, device_, progress),
        validation_images_);
    progress.finish(validation->mean_loss());
    training::EpochRecord record =
        epoch_record(epoch, "validation", lr, *validation, data_.headline_output, data_.label_names,
                     o_.target_sensitivity);
    record.seconds = steady_clock_seconds() - start;
    record.images_per_second = record.seconds > 0 ? validation->count() / record.seconds : 0;
    if (validation->count() > 0) {
      validation_seconds_per_image_ = record.seconds / static_cast<double>(validation->count());
    }
    history_.push_back(record);
  }
  check_replicas_agree(group_, *model_, "at the end of epoch " + std::to_string(epoch));
  if (completed) {
    position.next_epoch = epoch + 1;
    position.next_batch = 0;
  }
  if (!group_.is_root()) {
    group_.barrier();  // rank 0 writes the epoch's files
    if (completed) reset_partial(position);
    return;
  }
  training::write_history(run_dir_, history_);
  std::printf("%s\n", training::format_epoch_summary(o_.epochs, train_record,
                                                     validation ? &history_.back() : nullptr)
                          .c_str());

  save_weights(*model_, (run_dir_ / kLastCheckpointName).string(),
               {{"epoch", std::to_string(epoch)}, {"arch", o_.arch}});
  const auto best = training::best_record_index(history_, ranking_split_, rule_);
  const bool this_epoch_is_best = best && history_[*best].epoch == epoch;
  if (this_epoch_is_best) {
    save_weights(*model_, (run_dir_ / kBestCheckpointName).string(),
                 {{"epoch", std::to_string(epoch)}, {"arch", o_.arch}});
    write_predictions_csv(run_dir_ / "best_predictions.csv",
                          validation ? *validation : position.partial, data_.label_names);
  }
  // A completed epoch resumes at the next one; an epoch cut short by --max-steps resumes where it
  // stopped, with its training predictions so far.
  if (completed) reset_partial(position);
  save_resume_checkpoint(run_dir_, *model_, *optimizer_, position);
  write_report();
  group_.barrier();
}

void Trainer::write_report() {
  write_training_report(run_dir_);
}

}  // namespace

TrainingOutcome run_training(const TrainOptions& options) {
  return Trainer(options).run();
}

}  // namespace ihd::pipeline
