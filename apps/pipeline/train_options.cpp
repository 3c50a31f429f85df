// The ihd_train flags and their validation.
#include "apps/pipeline/train_options.h"

#include <sstream>

#include "common/error.h"
#include "engine/device.h"

namespace ihd::pipeline {
namespace {

void require_one_of(const std::string& flag, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* choice : allowed) {
    if (value == choice) return;
    list += (list.empty() ? "" : ", ") + std::string(choice);
  }
  throw Error("--" + flag + " '" + value + "': expected one of " + list);
}

}  // namespace

void add_train_flags(FlagSet& f, TrainOptions& o) {
  f.add("data", o.data, "RSNA folder, prepared cache or PNG class folders (default: synthetic CT)");
  f.add("data-cache", o.data_cache, "folder for prepared/synthetic data (default: <out>/data)");
  f.add("synth-patients", o.synth_patients, "patients in the synthetic set");
  f.add("synth-slices", o.synth_slices, "slices per synthetic patient");
  f.add("synth-faint-ends", o.synth_faint_ends,
        "chance that a synthetic bleed of 3+ slices has faint ends (context tells them apart)");
  f.add("positive-class", o.positive_class,
        "PNG folders: the class that means hemorrhage (needed unless they are 0/1)");
  f.add("labels", o.labels, "any (one output) or all (six RSNA labels)");
  f.add("val-fraction", o.val_fraction, "validation share, split by patient (0 allowed)");
  f.add("test-fraction", o.test_fraction, "held-out test share");
  f.add("split", o.split, "patient or random (the seed's split by image)");
  f.add("limit", o.limit, "use at most N images, half positive (0: all)");
  f.add("balance", o.balance, "undersample negatives to the number of positives");
  f.add("augment", o.augment, "flips, small rotation/scale/shift, window jitter");
  f.add("max-image-side", o.max_image_side,
        "DICOM files: refuse Rows or Columns above this (hostile or broken headers)");
  f.add("max-decoded-mb", o.max_decoded_mb,
        "DICOM files: refuse pixel data that decodes or inflates to more MiB than this");
  f.add("workers", o.workers, "data loader threads");
  f.add("arch", o.arch, "resnet18, resnet34, resnet50, resnet101 or resnet152");
  f.add("image-size", o.image_size, "training image size in pixels");
  f.add("channels", o.channels, "input channels: 3 (three windows) or 1");
  f.add("width", o.width, "width multiplier of the network (tiny test models < 1)");
  f.add("head", o.head, "linear or mlp512 (the seed's Dense 512 + ReLU head)");
  f.add("init", o.init, "safetensors weights to start from (torchvision names)");
  f.add("freeze-backbone", o.freeze_backbone, "train the head only (the seed's frozen base)");
  f.add("normalize", o.normalize, "unit (pixel/255, the seed's) or imagenet");
  f.add("batch", o.batch, "images per optimiser step");
  f.add("epochs", o.epochs, "training epochs");
  f.add("lr", o.lr, "learning rate");
  f.add("optimizer", o.optimizer, "adam, adamw or sgd");
  f.add("momentum", o.momentum, "SGD momentum");
  f.add("weight-decay", o.weight_decay, "weight decay (decoupled for adamw)");
  f.add("schedule", o.schedule, "constant, step (x0.1 every third of the run) or cosine");
  f.add("warmup-epochs", o.warmup_epochs, "linear learning-rate warm-up");
  f.add("max-steps", o.max_steps, "stop after N optimiser steps (0: no limit)");
  f.add("pos-weight", o.pos_weight, "weight of the positive term of the loss");
  f.add("device", o.device, "cpu or cuda[:N]");
  f.add("precision", o.precision,
        "fp32, or bf16: bfloat16 activations and convolutions with fp32 weights (tensor cores on "
        "CUDA; on the CPU it gives the same numbers, slower, for checking)");
  f.add("seed", o.seed, "seed of initialisation, data order and augmentation");
  f.add("threads", o.threads, "CPU threads (0: all cores)");
  f.add("out", o.out, "run folder");
  f.add("resume", o.resume, "continue the run in this folder where it stopped");
  f.add("overwrite", o.overwrite,
        "replace the run already in --out (deletes only the files ihd wrote there)");
  f.add("checkpoint-steps", o.checkpoint_steps, "also checkpoint every N steps (0: per epoch)");
  f.add("check-numerics", o.check_numerics,
        "stop at the first NaN/inf gradient or weight, naming the parameter and step");
  f.add("target-sensitivity", o.target_sensitivity, "sensitivity the operating threshold reaches");
  f.add("select", o.select,
        "best epoch: specificity at --target-sensitivity (then AUC), recall (the seed's: recall, "
        "precision, accuracy at 0.5) or auc");
  f.add("summary", o.summary, "print the layer table of the model and exit");
  f.add("quiet", o.quiet, "no progress lines (the start lines, epoch summaries and errors stay)");
  f.add("stage", o.stage,
        "slice (the slice model) or sequence (the sequence model alone, from --features)");
  f.add("features", o.features, "--stage sequence: the features folder ihd_embed wrote");
  f.add("sequence-stage", o.sequence_stage,
        "after the slice model, embed every slice and train the sequence model (RUN/sequence)");
  f.add("sequence-model", o.sequence_model, "the sequence model: gru (BiGRU) or tcn");
  f.add("sequence-hidden", o.sequence_hidden, "the sequence model's width");
  f.add("sequence-length", o.sequence_length, "longest chunk of a series the model reads");
  f.add("sequence-epochs", o.sequence_epochs, "epochs of the sequence stage");
  f.add("sequence-lr", o.sequence_lr, "learning rate of the sequence stage (Adam)");
  f.add("sequence-batch", o.sequence_batch, "series chunks per step of the sequence stage");
  f.add("sweep", o.sweep, "the seed's learning-rate selection protocol");
  f.add("sweep-lrs", o.sweep_lrs, "learning rates of round 1");
  f.add("sweep-round1-limit", o.sweep_round1_limit, "images in round 1");
  f.add("sweep-round1-epochs", o.sweep_round1_epochs, "epochs in round 1");
  f.add("sweep-keep", o.sweep_keep, "learning rates kept for round 2");
  f.add("sweep-round2-epochs", o.sweep_round2_epochs, "epochs in round 2");
  f.add("sweep-final-limit", o.sweep_final_limit, "images of the final run");
  f.add("sweep-final-epochs", o.sweep_final_epochs, "epochs of the final run");
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
  throw Error("--arch '" + arch +
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
      throw Error("--sweep-lrs: '" + item + "' is not a positive learning rate");
    }
    rates.push_back(rate);
  }
  if (rates.empty()) throw Error("--sweep-lrs: no learning rate given");
  return rates;
}

int output_count(const TrainOptions& options) {
  return options.labels == "all" ? 6 : 1;
}

void validate(const TrainOptions& o) {
  arch_depth(o.arch);
  require_one_of("labels", o.labels, {"any", "all"});
  require_one_of("split", o.split, {"patient", "random"});
  require_one_of("head", o.head, {"linear", "mlp512"});
  require_one_of("normalize", o.normalize, {"unit", "imagenet"});
  require_one_of("optimizer", o.optimizer, {"adam", "adamw", "sgd"});
  require_one_of("schedule", o.schedule, {"constant", "step", "cosine"});
  require_one_of("precision", o.precision, {"fp32", "bf16"});
  require_one_of("select", o.select, {"specificity", "recall", "auc"});
  const Device device = Device::parse(o.device);
  if (device.is_cuda() && !cuda_compiled()) {
    throw Error("--device " + o.device + ": this build has no CUDA backend");
  }
  if (device.is_cuda() && !cuda_available()) {
    throw Error("--device " + o.device + ": no CUDA GPU is visible");
  }
  if (o.image_size < 32) throw Error("--image-size must be at least 32 (ResNet downsamples by 32)");
  if (o.image_size > 1024) {
    throw Error("--image-size must be at most 1024 (RSNA slices are 512 x 512)");
  }
  if (o.channels != 1 && o.channels != 3) throw Error("--channels must be 1 or 3");
  if (!(o.width > 0) || o.width > 4) throw Error("--width must be in (0, 4]");
  if (o.batch < 2) throw Error("--batch must be at least 2 (batch norm needs two images)");
  if (o.epochs < 1) throw Error("--epochs must be at least 1");
  if (!(o.lr > 0)) throw Error("--lr must be positive");
  if (o.momentum < 0 || o.momentum >= 1) throw Error("--momentum must be in [0, 1)");
  if (o.weight_decay < 0) throw Error("--weight-decay must not be negative");
  if (o.warmup_epochs < 0 || o.warmup_epochs >= o.epochs) {
    throw Error("--warmup-epochs must be in [0, --epochs)");
  }
  if (o.max_steps < 0 || o.limit < 0 || o.checkpoint_steps < 0) {
    throw Error("--max-steps, --limit and --checkpoint-steps must not be negative");
  }
  if (!(o.pos_weight > 0)) throw Error("--pos-weight must be positive");
  if (o.val_fraction < 0 || o.test_fraction < 0 || o.val_fraction + o.test_fraction >= 1) {
    throw Error("--val-fraction and --test-fraction must be >= 0 and leave training data");
  }
  if (!(o.target_sensitivity > 0) || o.target_sensitivity > 1) {
    throw Error("--target-sensitivity must be in (0, 1]");
  }
  if (o.synth_faint_ends < 0 || o.synth_faint_ends > 1) {
    throw Error("--synth-faint-ends must be in [0, 1]");
  }
  if (o.synth_patients < 2 || o.synth_slices < 1) {
    throw Error("--synth-patients must be at least 2 and --synth-slices at least 1");
  }
  if (o.workers < 1 || o.threads < 0) throw Error("--workers must be >= 1, --threads >= 0");
  if (o.max_image_side < 1 || o.max_decoded_mb < 1 || o.max_decoded_mb > (1 << 20)) {
    throw Error("--max-image-side must be at least 1 and --max-decoded-mb in [1, 1048576]");
  }
  if (o.out.empty()) throw Error("--out must name a run folder");
  if (o.sweep) {
    const auto rates = parse_learning_rates(o.sweep_lrs);
    if (o.sweep_keep < 1 || o.sweep_keep > static_cast<int>(rates.size())) {
      throw Error("--sweep-keep must be between 1 and the number of --sweep-lrs");
    }
    if (o.sweep_round1_epochs < 1 || o.sweep_round2_epochs < 1 || o.sweep_final_epochs < 1) {
      throw Error("sweep epochs must be at least 1");
    }
    if (!o.resume.empty()) throw Error("--sweep cannot be combined with --resume");
  }
  require_one_of("stage", o.stage, {"slice", "sequence"});
  require_one_of("sequence-model", o.sequence_model, {"gru", "tcn"});
  if (o.stage == "sequence" && o.features.empty() && o.resume.empty()) {
    throw Error("--stage sequence needs --features (a folder ihd_embed wrote)");
  }
  if (o.stage == "sequence" && o.sequence_stage) {
    throw Error(
        "--sequence-stage trains both stages; --stage sequence trains the second alone: "
        "give only one of them");
  }
  if (o.sequence_hidden < 1 || o.sequence_hidden > 4096 || o.sequence_length < 4 ||
      o.sequence_length > 4096 || o.sequence_epochs < 1 || o.sequence_batch < 1 ||
      !(o.sequence_lr > 0)) {
    throw Error(
        "--sequence-hidden in [1, 4096], --sequence-length in [4, 4096], "
        "--sequence-epochs and --sequence-batch at least 1, --sequence-lr positive");
  }
  if (o.sweep && (o.stage == "sequence" || o.sequence_stage)) {
    throw Error(
        "--sweep tunes the slice stage alone: without --stage sequence or --sequence-stage");
  }
  if (!o.resume.empty() && o.overwrite) {
    throw Error("--resume continues a run and --overwrite replaces one: give only one of them");
  }
}

}  // namespace ihd::pipeline
