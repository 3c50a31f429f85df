// Temperatures, calibrated thresholds, and their config.json values.
#include "apps/pipeline/run_calibration.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "apps/pipeline/run_folder.h"
#include "apps/training/metrics.h"
#include "apps/training/temperature_scaling.h"
#include "common/console.h"  // wrap_words
#include "common/decimal.h"
#include "common/error.h"
#include "kernels/cpu/threads.h"

namespace ihd::pipeline {
namespace {

double parse_number_in(const std::string& text, double low, double high, const std::string& key,
                       const std::string& config_path) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() ||
      !(value >= low && value <= high)) {
    throw Error(ErrorKind::bad_config, config_path,
                key + " '" + text + "' is not a number in [" + shortest_decimal(low) + ", " +
                    shortest_decimal(high) + "]");
  }
  return value;
}

// A list value of `outputs` numbers in [low, high], each checked as `item`.
std::vector<double> parse_numbers_in(const std::string& text, size_t outputs, double low,
                                     double high, const std::string& key, const std::string& item,
                                     const std::string& config_path) {
  const std::vector<std::string> values = split_list(text);
  if (values.size() != outputs) {
    throw Error(ErrorKind::bad_config, config_path,
                key + " lists " + std::to_string(values.size()) + " values for a model of " +
                    std::to_string(outputs) + " outputs");
  }
  std::vector<double> numbers;
  for (const std::string& value : values) {
    numbers.push_back(parse_number_in(value, low, high, item, config_path));
  }
  return numbers;
}

std::string number_list(const std::vector<double>& numbers) {
  std::vector<std::string> texts;
  for (double number : numbers) texts.push_back(shortest_decimal(number));
  return join_list(texts);
}

}  // namespace

std::vector<double> sensitivity_thresholds(const Predictions& calibrated,
                                           double target_sensitivity) {
  std::vector<double> thresholds;
  for (size_t k = 0; k < calibrated.scores.size(); ++k) {
    const training::SensitivityOperatingPoint point = training::threshold_for_sensitivity(
        calibrated.scores[k], calibrated.labels[k], target_sensitivity);
    thresholds.push_back(point.reachable ? point.at_threshold.threshold : 0.5);
  }
  return thresholds;
}

std::vector<double> fit_output_temperatures(const Predictions& validation) {
  std::vector<double> temperatures;
  for (size_t k = 0; k < validation.logits.size(); ++k) {
    double temperature = 1.0;
    try {
      const training::TemperatureFit fit =
          training::fit_temperature(validation.logits[k], validation.labels[k]);
      temperature = fit.temperature;
      std::printf("calibration: output %zu temperature %.4g (validation log loss %.4f -> %.4f)\n",
                  k, fit.temperature, fit.loss_at_unit_temperature, fit.loss_at_temperature);
    } catch (const std::exception& error) {
      std::printf("%s\n", wrap_words("calibration: output " + std::to_string(k) +
                                         " keeps temperature 1 (" + error.what() + ")",
                                     "  ")
                              .c_str());
    }
    temperatures.push_back(temperature);
  }
  return temperatures;
}

double calibrated_probability(double probability, double temperature) {
  if (probability <= 0 || probability >= 1) return probability;
  const double logit = std::log(probability / (1 - probability));
  return 1 / (1 + std::exp(-logit / temperature));
}

void apply_temperatures(Predictions& predictions, const std::vector<double>& temperatures) {
  for (size_t k = 0; k < predictions.scores.size() && k < temperatures.size(); ++k) {
    for (size_t i = 0; i < predictions.scores[k].size(); ++i) {
      predictions.scores[k][i] = 1 / (1 + std::exp(-predictions.logits[k][i] / temperatures[k]));
    }
  }
}

ConfigValues run_config_values(const TrainOptions& options, const RunCalibration& calibration) {
  ConfigValues values = {{"format", kRunFormat}};
  for (auto& value : option_values(options)) values.push_back(std::move(value));
  values.emplace_back("label_names", join_list(calibration.label_names));
  values.emplace_back("commit", build_commit());
  values.emplace_back("device_used", options.device);
  values.emplace_back("threads_used", std::to_string(kernels::cpu::num_threads()));
  // --batch is each rank's: the run's global batch is ranks x batch (resume keeps it).
  values.emplace_back("ranks", std::to_string(options.ranks));
  values.emplace_back("decision_threshold", shortest_decimal(calibration.decision_threshold));
  if (!calibration.decision_thresholds.empty()) {
    values.emplace_back("decision_thresholds", number_list(calibration.decision_thresholds));
  }
  values.emplace_back("temperatures", number_list(calibration.temperatures));
  if (calibration.study_decision_threshold) {
    values.emplace_back("study_decision_threshold",
                        shortest_decimal(*calibration.study_decision_threshold));
  }
  return values;
}

RunCalibration read_run_calibration(const std::map<std::string, std::string>& config,
                                    const std::string& config_path, size_t outputs) {
  RunCalibration calibration;
  if (const auto found = config.find("decision_threshold"); found != config.end()) {
    calibration.decision_threshold =
        parse_number_in(found->second, 0, 1, "decision_threshold", config_path);
  }
  if (const auto found = config.find("study_decision_threshold"); found != config.end()) {
    calibration.study_decision_threshold =
        parse_number_in(found->second, 0, 1, "study_decision_threshold", config_path);
  }
  if (const auto found = config.find("label_names"); found != config.end()) {
    calibration.label_names = split_list(found->second);
    if (calibration.label_names.size() != outputs) {
      throw Error(ErrorKind::bad_config, config_path,
                  "label_names lists " + std::to_string(calibration.label_names.size()) +
                      " names for a model of " + std::to_string(outputs) + " outputs");
    }
  } else {
    calibration.label_names.assign(outputs, "any");
  }
  calibration.temperatures.assign(outputs, 1.0);
  if (const auto found = config.find("temperatures");
      found != config.end() && !found->second.empty()) {
    calibration.temperatures = parse_numbers_in(found->second, outputs, 1e-3, 1e3, "temperatures",
                                                "temperature", config_path);
  }
  calibration.decision_thresholds.assign(outputs, calibration.decision_threshold);
  if (const auto found = config.find("decision_thresholds");
      found != config.end() && !found->second.empty()) {
    calibration.decision_thresholds = parse_numbers_in(
        found->second, outputs, 0, 1, "decision_thresholds", "decision threshold", config_path);
  }
  return calibration;
}

}  // namespace ihd::pipeline
