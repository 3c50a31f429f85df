// The ihd_train flag table and the checks across flags.
#include "apps/pipeline/train_options.h"

#include <sstream>

#include "common/error.h"
#include "engine/device.h"
#include "kernels/backend.h"

namespace ihd::pipeline {

void add_train_flags(FlagSet& f, TrainOptions& o) {
  f.group("data");
  f.add("data", o.data, "PATH", "RSNA folder, prepared cache or PNG class folders")
      .shown_default("a synthetic head-CT set");
  f.add("data-cache", o.data_cache, "DIR", "folder for prepared/synthetic data")
      .shown_default("<run folder>/data");
  f.add("synth-patients", o.synth_patients, "N", "patients in the synthetic set").range(2, 100000);
  f.add("synth-slices", o.synth_slices, "N", "slices per synthetic patient").range(1, 1000);
  f.add("synth-faint-ends", o.synth_faint_ends, "P",
        "chance that a synthetic bleed of 3+ slices has faint ends (context tells them apart)")
      .range(0, 1);
  f.add("positive-class", o.positive_class, "NAME",
        "PNG folders: the class that means hemorrhage (needed unless they are 0/1)");
  f.add("labels", o.labels, "", "one output (any) or the six RSNA labels (all)")
      .choices({"any", "all"});
  f.add("val-fraction", o.val_fraction, "F", "validation share, split by patient (0 allowed)")
      .at_least(0)
      .below(1);
  f.add("test-fraction", o.test_fraction, "F", "held-out test share").at_least(0).below(1);
  f.add("split", o.split, "", "by patient, or random (the seed's split by image)")
      .choices({"patient", "random"});
  f.add("limit", o.limit, "N", "use at most N images, half positive (0: all)").at_least(0);
  f.add("balance", o.balance, "undersample negatives to the number of positives");
  f.add("augment", o.augment, "flips, small rotation/scale/shift, window jitter");
  f.group("input limits");
  f.add("max-image-side", o.max_image_side, "PX",
        "DICOM files: refuse Rows or Columns above this (hostile or broken headers)")
      .range(1, 65535);
  f.add("max-decoded-mb", o.max_decoded_mb, "MB",
        "DICOM files: refuse pixel data that decodes or inflates to more MiB than this")
      .range(1, 1 << 20);
  f.group("data");
  f.add("workers", o.workers, "N", "data loader threads").range(1, 256);
  f.group("model");
  f.add("arch", o.arch, "ARCH", "the ResNet")
      .choices({"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"});
  f.add("image-size", o.image_size, "PX",
        "training image size (ResNet downsamples by 32; RSNA slices are 512)")
      .range(32, 1024);
  f.add("channels", o.channels, "", "input channels: three CT windows, or one").choices({"1", "3"});
  f.add("width", o.width, "X", "width multiplier of the network (tiny test models < 1)")
      .above(0)
      .at_most(4);
  f.add("head", o.head, "", "a linear head, or the seed's Dense 512 + ReLU (mlp512)")
      .choices({"linear", "mlp512"});
  f.add("init", o.init, "PATH", "safetensors weights to start from (torchvision names)");
  f.add("freeze-backbone", o.freeze_backbone, "train the head only (the seed's frozen base)");
  f.add("normalize", o.normalize, "", "pixel / 255 (unit, the seed's) or ImageNet mean and std")
      .choices({"unit", "imagenet"});
  f.group("optimisation");
  f.add("batch", o.batch, "N", "images per optimiser step (batch norm needs two)").range(2, 65536);
  f.add("epochs", o.epochs, "N", "training epochs").range(1, 100000);
  f.add("lr", o.lr, "LR", "learning rate").above(0);
  f.add("optimizer", o.optimizer, "", "the optimiser").choices({"adam", "adamw", "sgd"});
  f.add("momentum", o.momentum, "M", "SGD momentum").at_least(0).below(1);
  f.add("weight-decay", o.weight_decay, "WD", "weight decay (decoupled for adamw)").at_least(0);
  f.add("schedule", o.schedule, "",
        "learning-rate schedule: constant, step (x0.1 every third of the run) or cosine")
      .choices({"constant", "step", "cosine"});
  f.add("warmup-epochs", o.warmup_epochs, "N", "linear learning-rate warm-up (below --epochs)")
      .at_least(0);
  f.add("max-steps", o.max_steps, "N", "stop after N optimiser steps (0: no limit)").at_least(0);
  f.add("pos-weight", o.pos_weight, "W", "weight of the positive term of the loss").above(0);
  f.group("run");
  f.add("device", o.device, "cpu|cuda[:N]", "where to train").validated_by(ihd::device_refusal);
  f.add("precision", o.precision, "",
        "fp32, or bf16: bfloat16 activations and convolutions with fp32 weights (tensor cores on "
        "CUDA; on the CPU oneDNN's bfloat16 convolutions where the CPU has them)")
      .choices({"fp32", "bf16"});
  f.add("seed", o.seed, "N", "seed of initialisation, data order and augmentation").at_least(0);
  f.add("threads", o.threads, "N", "CPU threads (0: all cores)").range(0, 1024);
  f.add("out", o.out, "DIR", "run folder (refused if it holds a run, unless --overwrite)")
      .shown_default("a new runs/<YYYYMMDD-HHMMSS>, linked from runs/latest");
  f.add("resume", o.resume, "DIR", "continue the run in DIR where it stopped");
  f.add("overwrite", o.overwrite,
        "replace the run already in --out (deletes only the files ihd wrote there)");
  f.add("checkpoint-steps", o.checkpoint_steps, "N",
        "also checkpoint every N steps (0: at the end of each epoch only)")
      .at_least(0);
  f.add("check-numerics", o.check_numerics,
        "stop at the first NaN/inf gradient or weight, naming the parameter and step");
  f.add("quiet", o.quiet, "no progress lines (the start lines, epoch summaries and errors stay)");
  f.group("data parallel");
  f.add("sync-bn", o.sync_bn,
        "batch norm statistics over the global batch of all ranks, not each rank's share");
  f.add("bucket-mb", o.bucket_mb, "MB", "gradients summed across ranks in buckets of this size")
      .range(0.001, 4096);
  f.add("check-replicas", o.check_replicas,
        "after every step, check that every rank holds the same weights (a hash each)");
  f.add("data-parallel", o.data_parallel,
        "the data-parallel path even in one process started without mpirun (gradient buckets; "
        "NCCL on a GPU): checks that path on a machine of one GPU");
  f.group_note("data parallel",
               "mpirun -np N ihd_train ... trains on N ranks (one per GPU with --device cuda: "
               "cuda:<local rank>); the global batch is N x --batch, and rank 0 writes the run "
               "folder. See docs/DISTRIBUTED.md.");
  std::string resumable;
  for (std::string_view flag : kFlagsResumeMayChange) {
    resumable += (resumable.empty() ? "--" : ", --") + std::string(flag);
  }
  f.group_note("run", "--resume keeps the run's settings: only " + resumable +
                          " may change with it (any other flag given must match the run's). "
                          "Ctrl-C or SIGTERM stops after the current step with its checkpoint "
                          "written (exit 130 or 143); a second one stops at once.");
  f.group("evaluation");
  f.add("target-sensitivity", o.target_sensitivity, "S",
        "sensitivity the operating threshold reaches")
      .above(0)
      .at_most(1);
  f.add("select", o.select, "",
        "best epoch: specificity at --target-sensitivity (then AUC), recall (the seed's: recall, "
        "precision, accuracy at 0.5) or auc")
      .choices({"specificity", "recall", "auc"});
  f.group("model");
  f.add("summary", o.summary, "print the layer table of the model and exit");
  f.group("sequence stage");
  f.add("stage", o.stage, "",
        "slice (the slice model) or sequence (the sequence model alone, from --features)")
      .choices({"slice", "sequence"});
  f.add("features", o.features, "DIR", "--stage sequence: the features folder ihd_embed wrote");
  f.add("sequence-stage", o.sequence_stage,
        "after the slice model, embed every slice and train the sequence model (RUN/sequence)");
  f.add("sequence-model", o.sequence_model, "", "the sequence model: a BiGRU or a dilated TCN")
      .choices({"gru", "tcn"});
  f.add("sequence-hidden", o.sequence_hidden, "N", "the sequence model's width").range(1, 4096);
  f.add("sequence-length", o.sequence_length, "N", "longest chunk of a series the model reads")
      .range(4, 4096);
  f.add("sequence-epochs", o.sequence_epochs, "N", "epochs of the sequence stage").range(1, 100000);
  f.add("sequence-lr", o.sequence_lr, "LR", "learning rate of the sequence stage (Adam)").above(0);
  f.add("sequence-batch", o.sequence_batch, "N", "series chunks per step of the sequence stage")
      .range(1, 65536);
  f.group("sweep");
  f.add("sweep", o.sweep, "the seed's learning-rate selection protocol");
  f.add("sweep-lrs", o.sweep_lrs, "LR,LR,...", "learning rates of round 1");
  f.add("sweep-round1-limit", o.sweep_round1_limit, "N", "images in round 1 (0: all)").at_least(0);
  f.add("sweep-round1-epochs", o.sweep_round1_epochs, "N", "epochs in round 1").at_least(1);
  f.add("sweep-keep", o.sweep_keep, "N", "learning rates kept for round 2").at_least(1);
  f.add("sweep-round2-epochs", o.sweep_round2_epochs, "N", "epochs in round 2").at_least(1);
  f.add("sweep-final-limit", o.sweep_final_limit, "N", "images of the final run (0: all)")
      .at_least(0);
  f.add("sweep-final-epochs", o.sweep_final_epochs, "N", "epochs of the final run").at_least(1);
}

std::vector<std::pair<std::string, std::string>> option_values(const TrainOptions& options) {
  TrainOptions copy = options;
  FlagSet flags("", "");
  add_train_flags(flags, copy);
  return flags.values();
}

int arch_depth(const std::string& arch) {
  for (int depth : {18, 34, 50, 101, 152}) {
    if (arch == "resnet" + std::to_string(depth)) return depth;
  }
  throw UsageError("--arch '" + arch +
                   "': expected resnet18, resnet34, resnet50, resnet101 or resnet152");
}

std::vector<double> parse_learning_rates(const std::string& text) {
  std::vector<double> rates;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    std::size_t used = 0;
    double rate = 0;
    try {
      rate = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(rate > 0)) {
      throw UsageError("--sweep-lrs: '" + item + "' is not a positive learning rate");
    }
    rates.push_back(rate);
  }
  if (rates.empty()) throw UsageError("--sweep-lrs: no learning rate given");
  return rates;
}

int output_count(const TrainOptions& options) {
  return options.labels == "all" ? 6 : 1;
}

void validate(const TrainOptions& o) {
  TrainOptions checked = o;
  FlagSet flags("", "");
  add_train_flags(flags, checked);
  flags.check_values();
  const Device device = Device::parse(o.device);
  if (device.is_cuda() && !cuda_compiled()) {
    throw Error("--device " + o.device + ": " + kernels::kNoCudaBackend);
  }
  if (device.is_cuda() && !cuda_available()) {
    throw Error("--device " + o.device + ": no CUDA GPU is visible");
  }
  if (o.warmup_epochs >= o.epochs) throw UsageError("--warmup-epochs must be below --epochs");
  if (o.val_fraction + o.test_fraction >= 1) {
    throw UsageError("--val-fraction and --test-fraction must leave training data (sum below 1)");
  }
  if (o.sweep) {
    const auto rates = parse_learning_rates(o.sweep_lrs);
    if (o.sweep_keep > static_cast<int>(rates.size())) {
      throw UsageError("--sweep-keep must be between 1 and the number of --sweep-lrs");
    }
    if (!o.resume.empty()) throw UsageError("--sweep cannot be combined with --resume");
  }
  if (o.stage == "sequence" && o.features.empty() && o.resume.empty()) {
    throw UsageError("--stage sequence needs --features (a folder ihd_embed wrote)");
  }
  if (o.stage == "sequence" && o.sequence_stage) {
    throw UsageError(
        "--sequence-stage trains both stages; --stage sequence trains the second alone: "
        "give only one of them");
  }
  if (o.sweep && (o.stage == "sequence" || o.sequence_stage)) {
    throw UsageError(
        "--sweep tunes the slice stage alone: without --stage sequence or --sequence-stage");
  }
  if (!o.resume.empty() && o.overwrite) {
    throw UsageError(
        "--resume continues a run and --overwrite replaces one: give only one of them");
  }
}

}  // namespace ihd::pipeline
