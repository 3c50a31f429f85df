// The settings a run's report lists: those that applied, by the rule in applied_settings.h.
#include "apps/pipeline/applied_settings.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

namespace ihd::pipeline {
namespace {

bool lists(const training::ConfigEntries& entries, const std::string& name) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const auto& entry) { return entry.first == name; });
}

std::string value_of(const training::ConfigEntries& entries, const std::string& name) {
  for (const auto& [key, value] : entries) {
    if (key == name) return value;
  }
  return "(not listed)";
}

bool lists_any_starting(const training::ConfigEntries& entries, const std::string& prefix) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_CASE("a synthetic run lists the synthetic set and not the settings it did not use") {
  const training::ConfigEntries applied = applied_settings(TrainOptions{});
  CHECK(value_of(applied, "data") == "synthetic");
  CHECK(lists(applied, "synth-patients"));
  CHECK(lists(applied, "arch"));
  CHECK(lists(applied, "lr"));
  CHECK(lists(applied, "target-sensitivity"));
  for (const char* absent : {"positive-class", "momentum", "sweep", "features", "init", "resume",
                             "limit", "max-steps", "checkpoint-steps", "summary", "overwrite"}) {
    CAPTURE(absent);
    CHECK(!lists(applied, absent));
  }
  CHECK(!lists_any_starting(applied, "sweep-"));
  CHECK(!lists_any_starting(applied, "sequence-model"));
  CHECK(lists(applied, "sequence-stage"));  // the switch says there was none
}

TEST_CASE("--data drops the synthetic set, --sweep and a sequence stage bring their settings") {
  TrainOptions options;
  options.data = "/data/rsna";
  options.positive_class = "hemorrhage";
  options.optimizer = "sgd";
  options.sweep = true;
  options.sequence_stage = true;
  options.max_steps = 100;
  const training::ConfigEntries applied = applied_settings(options);
  CHECK(value_of(applied, "data") == "/data/rsna");
  CHECK(!lists_any_starting(applied, "synth-"));
  CHECK(value_of(applied, "positive-class") == "hemorrhage");
  CHECK(lists(applied, "momentum"));
  CHECK(lists(applied, "sweep-lrs"));
  CHECK(lists(applied, "sequence-hidden"));
  CHECK(value_of(applied, "max-steps") == "100");
}

TEST_CASE("the data-parallel settings are listed for a run of several ranks, or --data-parallel") {
  const char* settings[] = {"sync-bn", "bucket-mb", "check-replicas", "data-parallel"};
  const training::ConfigEntries alone = applied_settings(TrainOptions{});
  TrainOptions two_ranks;
  two_ranks.ranks = 2;
  TrainOptions one_rank_path;
  one_rank_path.data_parallel = true;
  for (const char* name : settings) {
    CAPTURE(name);
    CHECK_FALSE(lists(alone, name));
    CHECK(lists(applied_settings(two_ranks), name));
    CHECK(lists(applied_settings(one_rank_path), name));
  }
}

TEST_CASE("a sequence stage trained alone lists its own settings, not the slice model's") {
  TrainOptions options;
  options.stage = "sequence";
  options.features = "runs/x/features";
  const training::ConfigEntries applied = applied_settings(options);
  CHECK(value_of(applied, "features") == "runs/x/features");
  CHECK(lists(applied, "sequence-lr"));
  CHECK(lists(applied, "seed"));
  for (const char* absent : {"arch", "image-size", "lr", "data", "synth-patients", "batch",
                             "resume"}) {
    CAPTURE(absent);
    CHECK(!lists(applied, absent));
  }
}

}  // namespace ihd::pipeline
