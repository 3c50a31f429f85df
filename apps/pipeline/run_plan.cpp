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

std::string data_line(const TrainOptions& o) {
  if (o.stage == "sequence") return "the slice embeddings in " + o.features;
  if (!o.data.empty()) return o.data;
  const std::string cache =
      o.data_cache.empty() ? (std::filesystem::path(o.out) / "data").string() : o.data_cache;
  return "a synthetic head-CT set of " + std::to_string(o.synth_patients) + " patients x " +
         std::to_string(o.synth_slices) + " slices (no --data given), made in " + cache;
}

std::string model_line(const TrainOptions& o) {
  const std::string size = std::to_string(o.image_size);
  std::string line = o.arch + (o.width != 1 ? " at width " + flag_text(o, "width") : "") + " on " +
                     size + " x " + size + " px, " + std::to_string(o.epochs) + " epochs of " +
                     o.optimizer + " at learning rate " + flag_text(o, "lr") + ", batch " +
                     std::to_string(o.batch);
  if (o.stage == "sequence") {
    line = "the " + o.sequence_model + " sequence stage, " + std::to_string(o.sequence_epochs) +
           " epochs at learning rate " + flag_text(o, "sequence-lr");
  } else if (o.sequence_stage) {
    line += ", then the " + o.sequence_model + " sequence stage for " +
            std::to_string(o.sequence_epochs) + " epochs";
  }
  if (o.sweep) line = "the learning-rate sweep over " + o.sweep_lrs + " with " + line;
  return line;
}

}  // namespace

std::string describe_run_plan(const TrainOptions& o, const std::string& latest_link) {
  const int threads =
      o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::string text = "ihd_train: about to train\n";
  text += "  model:   " + model_line(o) + "\n";
  text += "  data:    " + data_line(o) + "\n";
  text += "  device:  " + o.device + " (" + std::to_string(threads) + " CPU threads), " +
          o.precision + "\n";
  text += "  run:     " + o.out +
          (latest_link.empty() ? "" : " (" + latest_link + " links to it)") + "\n";
  text +=
      "  Ctrl-C stops after the current step and says how to resume; ihd_train --help lists "
      "every flag\n";
  return text;
}

}  // namespace ihd::pipeline
