// The plan of a new run, from its options alone (nothing is read or computed).
#include "apps/pipeline/run_plan.h"

#include <filesystem>
#include <thread>

namespace ihd::pipeline {
namespace {

// The value of flag `name` as --help and config.json print it ("0.0001", not "0.000100").
std::string flag_text(const TrainOptions& o, const std::string& name) {
  for (const auto& [flag, value] : option_values(o)) {
    if (flag == name) return value;
  }
  return "";
}

// "N thing" or "1 thing".
std::string count_of(long count, const std::string& thing) {
  return std::to_string(count) + " " + thing + (count == 1 ? "" : "s");
}

std::string data_line(const TrainOptions& o) {
  if (o.stage == "sequence") return "the slice embeddings in " + o.features;
  if (!o.data.empty()) return o.data;
  return "a synthetic head-CT set, " + count_of(o.synth_patients, "patient") + " x " +
         count_of(o.synth_slices, "slice") + " (no --data given)";
}

std::string model_line(const TrainOptions& o) {
  if (o.stage == "sequence") return "the " + o.sequence_model + " sequence model";
  const std::string size = std::to_string(o.image_size);
  return o.arch + (o.width != 1 ? " at width " + flag_text(o, "width") : "") + ", " + size + " x " +
         size + " px";
}

// The training line, and the sequence stage's when it follows the slice model.
std::string training_lines(const TrainOptions& o) {
  if (o.stage == "sequence") {
    return count_of(o.sequence_epochs, "epoch") + " of adam, learning rate " +
           flag_text(o, "sequence-lr") + "\n";
  }
  std::string lines = count_of(o.epochs, "epoch") + " of " + o.optimizer + ", learning rate " +
                      flag_text(o, "lr") + ", batch " + std::to_string(o.batch) + "\n";
  if (o.sweep) lines = "the learning-rate sweep over " + o.sweep_lrs + "\n";
  if (o.sequence_stage) {
    lines += "            then the " + o.sequence_model + " sequence stage, " +
             count_of(o.sequence_epochs, "epoch") + "\n";
  }
  return lines;
}

}  // namespace

std::string describe_run_plan(const TrainOptions& o, const std::string& latest_link) {
  const int threads =
      o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::string text = "ihd_train: about to train\n";
  text += "  model:    " + model_line(o) + "\n";
  text += "  training: " + training_lines(o);
  text += "  data:     " + data_line(o) + "\n";
  if (o.data.empty() && o.stage != "sequence") {
    text +=
        "  cache:    " +
        (o.data_cache.empty() ? (std::filesystem::path(o.out) / "data").string() : o.data_cache) +
        "\n";
  }
  text += "  device:   " + o.device + " (" + count_of(threads, "CPU thread") + "), " + o.precision +
          "\n";
  text += "  run:      " + o.out +
          (latest_link.empty() ? "" : " (" + latest_link + " links to it)") + "\n";
  text += "  Ctrl-C stops after the current step and says how to resume\n";
  text += "  ihd_train --help lists every flag\n";
  return text;
}

}  // namespace ihd::pipeline
