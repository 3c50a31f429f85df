// Each output's decision threshold: the one reaching the target sensitivity on that output's
// calibrated validation scores, recorded per output in config.json and read back; a config.json
// from before per-output thresholds decides every output at its one threshold.
#include "apps/pipeline/run_calibration.h"

#include <doctest/doctest.h>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

// Two outputs over five samples: output 0's positives score 0.2 and 0.6, output 1's 0.9.
Predictions two_output_predictions() {
  Predictions predictions = make_predictions(2);
  predictions.ids = {"a", "b", "c", "d", "e"};
  predictions.scores = {{0.1, 0.2, 0.4, 0.6, 0.8}, {0.3, 0.9, 0.5, 0.1, 0.7}};
  predictions.labels = {{0, 1, 0, 1, 0}, {0, 1, 0, 0, 0}};
  return predictions;
}

}  // namespace

TEST_CASE("each output's threshold reaches the target sensitivity on its own scores") {
  const Predictions predictions = two_output_predictions();
  CHECK(sensitivity_thresholds(predictions, 0.95) == std::vector<double>{0.2, 0.9});
  CHECK(sensitivity_thresholds(predictions, 0.5) == std::vector<double>{0.6, 0.9});
  Predictions no_positive = predictions;
  no_positive.labels[1] = {0, 0, 0, 0, 0};
  CHECK(sensitivity_thresholds(no_positive, 0.95) == std::vector<double>{0.2, 0.5});
}

TEST_CASE(
    "per-output thresholds go into config.json and come back, and old configs give one to all") {
  RunCalibration calibration;
  calibration.label_names = {"epidural", "any"};
  calibration.temperatures = {1.25, 0.8};
  calibration.decision_thresholds = {0.125, 0.3};
  calibration.decision_threshold = 0.3;
  std::map<std::string, std::string> config;
  for (const auto& [key, value] : run_config_values(TrainOptions{}, calibration)) {
    config[key] = value;
  }
  CHECK(config.at("decision_thresholds") == "0.125;0.3");
  const RunCalibration read = read_run_calibration(config, "run/config.json", 2);
  CHECK(read.decision_thresholds == calibration.decision_thresholds);
  CHECK(read.decision_threshold == 0.3);
  CHECK(read.temperatures == calibration.temperatures);

  std::map<std::string, std::string> old = config;
  old.erase("decision_thresholds");
  CHECK(read_run_calibration(old, "run/config.json", 2).decision_thresholds ==
        std::vector<double>{0.3, 0.3});
  old.erase("decision_threshold");
  CHECK(read_run_calibration(old, "run/config.json", 2).decision_thresholds ==
        std::vector<double>{0.5, 0.5});
}

TEST_CASE("per-output thresholds that do not fit the model are refused naming config.json") {
  std::map<std::string, std::string> config{{"label_names", "epidural;any"},
                                            {"decision_thresholds", "0.2"}};
  CHECK_THROWS_WITH_AS(read_run_calibration(config, "run/config.json", 2),
                       "run/config.json: decision_thresholds lists 1 values for a model of 2 "
                       "outputs",
                       Error);
  config["decision_thresholds"] = "0.2;1.5";
  CHECK_THROWS_WITH_AS(read_run_calibration(config, "run/config.json", 2),
                       "run/config.json: decision threshold '1.5' is not a number in [0, 1]",
                       Error);
}

}  // namespace ihd::pipeline
