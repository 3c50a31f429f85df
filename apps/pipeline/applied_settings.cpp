// Which settings applied to a run; see applied_settings.h for the rule.
#include "apps/pipeline/applied_settings.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace ihd::pipeline {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The settings a sequence stage trained alone (--stage sequence) reads.
constexpr std::array<std::string_view, 15> kSequenceStageSettings = {
    "stage",          "features",        "sequence-model", "sequence-hidden", "sequence-length",
    "sequence-epochs", "sequence-lr",    "sequence-batch", "device",          "seed",
    "threads",        "out",             "resume",         "target-sensitivity", "select"};

// The settings of data-parallel training: they apply to a run of several ranks (or one run with
// --data-parallel).
constexpr std::array<std::string_view, 4> kDataParallelSettings = {"sync-bn", "bucket-mb",
                                                                   "check-replicas",
                                                                   "data-parallel"};

// Settings whose empty or zero value switches them off.
constexpr std::array<std::string_view, 5> kOffWhenUnset = {"init", "resume", "limit", "max-steps",
                                                           "checkpoint-steps"};

bool applies(std::string_view name, std::string_view value, const TrainOptions& o) {
  const bool sequence_stage = o.sequence_stage || o.stage == "sequence";
  if (name == "summary" || name == "overwrite") return false;
  if (o.stage == "sequence") {
    return std::find(kSequenceStageSettings.begin(), kSequenceStageSettings.end(), name) !=
               kSequenceStageSettings.end() &&
           (name != "resume" || !value.empty());
  }
  if (starts_with(name, "synth-")) return o.data.empty();
  if (name == "positive-class") return !o.data.empty() && !value.empty();
  if (name == "momentum") return o.optimizer == "sgd";
  if (starts_with(name, "sweep")) return o.sweep;
  if (std::find(kDataParallelSettings.begin(), kDataParallelSettings.end(), name) !=
      kDataParallelSettings.end()) {
    return o.ranks > 1 || o.data_parallel;
  }
  if (name != "sequence-stage" && (starts_with(name, "sequence-") || name == "features")) {
    return sequence_stage;
  }
  if (std::find(kOffWhenUnset.begin(), kOffWhenUnset.end(), name) != kOffWhenUnset.end()) {
    return !value.empty() && value != "0";
  }
  return true;
}

}  // namespace

training::ConfigEntries applied_settings(const TrainOptions& options) {
  training::ConfigEntries applied;
  for (auto& [name, value] : option_values(options)) {
    if (!applies(name, value, options)) continue;
    applied.emplace_back(name, name == "data" && value.empty() ? "synthetic" : value);
  }
  return applied;
}

}  // namespace ihd::pipeline
