// History files: CSV round trip of every field (NaN and extras included), the JSON text, atomic
// rewrite in a run folder, errors on malformed files; and the seed's epoch ranking. history.json
// is read back with common/json to show that any name keeps it valid.
#include "apps/training/history.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/training/metrics.h"
#include "apps/training/model_selection.h"
#include "common/json.h"

namespace ihd::training {
namespace {

EpochRecord make_record(int epoch, const std::string& split, double recall_value,
                        double precision_value, double accuracy_value) {
  EpochRecord r;
  r.epoch = epoch;
  r.split = split;
  r.learning_rate = 1e-4 / epoch;
  r.loss = 0.1 + 1.0 / 3 / epoch;
  r.images_per_second = 123.456;
  r.seconds = 61.5;
  r.metrics.sample_count = 400;
  r.metrics.positive_count = 200;
  r.metrics.log_loss = 0.6931471805599453;
  r.metrics.roc_auc = 0.91;
  r.metrics.pr_auc = 0.8765432109876543;
  r.metrics.at_default_threshold = {
      0.5, {150, 30, 170, 50}, accuracy_value, precision_value, recall_value, 0.85, 0.789};
  r.metrics.at_target_sensitivity = {
      0.95, true, {0.125, {190, 90, 110, 10}, 0.75, 0.68, 0.95, 0.55, 0.79}};
  return r;
}

}  // namespace

TEST_CASE("history.csv round-trips every field exactly, NaN and extras included") {
  std::vector<EpochRecord> records = {make_record(1, "train", 0.7, 0.6, 0.65),
                                      make_record(1, "validation", 0.75, 0.5, 0.6)};
  records[1].metrics.roc_auc = kNotANumber;
  records[1].metrics.at_target_sensitivity.reachable = false;
  records[1].extra["subdural_roc_auc"] = 0.83;
  records[0].extra["rsna_weighted_log_loss"] = 0.071;

  const std::string csv = history_csv(records);
  CHECK(csv.rfind("epoch,split,learning_rate,loss,images_per_second,seconds,samples,positives,"
                  "log_loss,roc_auc,pr_auc,threshold,tp,fp,tn,fn,accuracy,precision,recall,",
                  0) == 0);
  const std::vector<EpochRecord> back = parse_history_csv(csv);
  REQUIRE(back.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(back[i].epoch == records[i].epoch);
    CHECK(back[i].split == records[i].split);
    for (const std::string& column : history_column_names()) {
      if (column == "split") continue;
      CAPTURE(column);
      const double expected = history_value(records[i], column);
      const double actual = history_value(back[i], column);
      CHECK(((std::isnan(expected) && std::isnan(actual)) || expected == actual));
    }
  }
  CHECK(back[1].extra.at("subdural_roc_auc") == 0.83);
  CHECK(std::isnan(back[0].extra.at("subdural_roc_auc")));  // absent -> NaN column
  CHECK(back[0].extra.at("rsna_weighted_log_loss") == 0.071);
  CHECK_FALSE(back[1].metrics.at_target_sensitivity.reachable);
  CHECK(back[0].metrics.at_target_sensitivity.at_threshold.counts.false_negative == 10);
  CHECK(history_csv(back) == csv);
}

TEST_CASE("history.json writes every column, null for non-finite numbers") {
  std::vector<EpochRecord> records = {make_record(2, "validation", 0.8, 0.7, 0.75)};
  records[0].metrics.roc_auc = kNotANumber;
  const std::string json = history_json(records);
  CHECK(json.find("\"epoch\": 2, \"split\": \"validation\"") != std::string::npos);
  CHECK(json.find("\"roc_auc\": null") != std::string::npos);
  CHECK(json.find("\"recall\": 0.8,") != std::string::npos);
  CHECK(json.find("\"target_specificity\": 0.55") != std::string::npos);
  CHECK(json.front() == '[');
}

TEST_CASE("history.json stays valid JSON whatever bytes a split or column name holds") {
  std::vector<EpochRecord> records = {make_record(1, "val \"A\"\n\xE9", 0.8, 0.7, 0.75)};
  records[0].extra["per \\ subtype"] = 0.5;
  const std::string json = history_json(records);
  JsonReader reader(json, {"history.json", ErrorKind::general, "JSON", json.size(), 2});
  std::vector<std::string> keys, strings;
  for (JsonEvent event = reader.next(); event != JsonEvent::end_of_document;
       event = reader.next()) {
    if (event == JsonEvent::key) keys.push_back(reader.text());
    if (event == JsonEvent::string) strings.push_back(reader.text());
  }
  CHECK(strings == std::vector<std::string>{"val \"A\"\n\xC3\xA9"});  // Latin-1 read as such
  CHECK(std::find(keys.begin(), keys.end(), "per \\ subtype") != keys.end());
  CHECK(keys.size() == history_column_names().size() + 1);
}

TEST_CASE("write_history rewrites both files in the run folder and read_history reads them") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "ihd_training_history_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<EpochRecord> records = {make_record(1, "train", 0.7, 0.6, 0.65)};
  write_history(dir, records);
  records.push_back(make_record(2, "train", 0.8, 0.6, 0.65));
  write_history(dir, records);
  const std::vector<EpochRecord> back = read_history(dir);
  REQUIRE(back.size() == 2);
  CHECK(back[1].epoch == 2);
  CHECK(std::filesystem::exists(dir / "history.json"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 2);  // no temporary file left behind
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(read_history(dir), std::runtime_error);
}

TEST_CASE("malformed history files are refused with the line named") {
  CHECK_THROWS_AS(parse_history_csv(""), std::runtime_error);
  CHECK_THROWS_WITH_AS(parse_history_csv("epoch,split,loss\n1,train\n"),
                       "history.csv: line 2 has 2 fields, the header 3", std::runtime_error);
  CHECK_THROWS_WITH_AS(parse_history_csv("epoch,split,loss\n1,train,abc\n"),
                       "history.csv: line 2, column loss: 'abc' is not a number",
                       std::runtime_error);
  CHECK_THROWS_AS(history_value(make_record(1, "train", 0, 0, 0), "no_such_metric"),
                  std::invalid_argument);
}

TEST_CASE("a split name with a comma, a quote and a newline survives history.csv") {
  const std::vector<EpochRecord> records = {make_record(1, "a,b \"c\"\nd", 0.5, 0.25, 0.75)};
  const std::vector<EpochRecord> back = parse_history_csv(history_csv(records));
  REQUIRE(back.size() == 1);
  CHECK(back[0].split == records[0].split);
}

TEST_CASE("the seed's ranking: validation recall, then precision, then accuracy") {
  const std::vector<EpochRecord> records = {make_record(1, "validation", 0.80, 0.70, 0.70),
                                            make_record(1, "train", 0.99, 0.99, 0.99),
                                            make_record(2, "validation", 0.85, 0.60, 0.60),
                                            make_record(3, "validation", 0.85, 0.65, 0.50),
                                            make_record(4, "validation", 0.85, 0.65, 0.55),
                                            make_record(5, "validation", 0.85, 0.65, 0.55)};
  CHECK(best_record_index(records, "validation", SelectionRule::kRecallPrecisionAccuracy) == 4);
  CHECK_FALSE(best_record_index(records, "test", SelectionRule::kRecallPrecisionAccuracy));

  std::vector<EpochRecord> by_auc = records;
  by_auc[0].metrics.roc_auc = 0.99;
  by_auc[2].metrics.roc_auc = kNotANumber;
  CHECK(best_record_index(by_auc, "validation", SelectionRule::kRocAuc) == 0);
  CHECK(parse_selection_rule("auc") == SelectionRule::kRocAuc);
  CHECK(parse_selection_rule("specificity") == SelectionRule::kSpecificityAtTargetSensitivity);
  CHECK_THROWS_AS(parse_selection_rule("f1"), std::invalid_argument);
}

TEST_CASE("the default ranking: a degenerate all-positive epoch does not win") {
  // Epoch 1 calls every image positive (all scores just above 0.5, barely ordered); epoch 2
  // separates the classes well but leaves a few positives below 0.5. Metrics from the scores.
  std::vector<int> labels;
  std::vector<double> degenerate, separating;
  for (int i = 0; i < 200; ++i) {
    const int label = i % 2;
    labels.push_back(label);
    degenerate.push_back(0.55 + 0.001 * ((i * 37) % 11));  // unrelated to the label
    separating.push_back(label ? (i % 10 == 1 ? 0.4 : 0.9) - 0.001 * (i % 13)
                               : 0.1 + 0.001 * (i % 17));
  }
  std::vector<EpochRecord> records(2);
  records[0].epoch = 1;
  records[0].metrics = compute_metric_set(degenerate, labels, 0.95);
  records[1].epoch = 2;
  records[1].metrics = compute_metric_set(separating, labels, 0.95);
  for (EpochRecord& record : records) record.split = "validation";
  REQUIRE(records[0].metrics.at_default_threshold.recall == 1.0);
  REQUIRE(records[1].metrics.at_default_threshold.recall < 1.0);
  // The seed's literal ranking picks the degenerate epoch; the default does not.
  CHECK(best_record_index(records, "validation", SelectionRule::kRecallPrecisionAccuracy) == 0);
  CHECK(best_record_index(records, "validation", SelectionRule::kSpecificityAtTargetSensitivity) ==
        1);
  CHECK(records[1].metrics.at_target_sensitivity.at_threshold.specificity >
        records[0].metrics.at_target_sensitivity.at_threshold.specificity);

  // Equal specificity at the target: ROC AUC decides; an unreachable target ranks last.
  std::vector<EpochRecord> tied = {records[1], records[1]};
  tied[1].epoch = 3;
  tied[1].metrics.roc_auc += 0.001;
  CHECK(best_record_index(tied, "validation", SelectionRule::kSpecificityAtTargetSensitivity) == 1);
  tied[1].metrics.at_target_sensitivity.reachable = false;
  CHECK(best_record_index(tied, "validation", SelectionRule::kSpecificityAtTargetSensitivity) == 0);
}

}  // namespace ihd::training
