// How a finished run's outputs are to be read, recorded in its config.json beside its flags:
// each output's temperature (temperature scaling, fitted on the validation split's logits of the
// selected epoch, so that probabilities are calibrated), each output's decision threshold on
// those calibrated probabilities (the headline's is `decision_threshold`, the selected epoch's
// threshold at the target sensitivity, what the run reports; each other output's reaches the
// target sensitivity for that output on the validation split), and, for a sequence stage, the
// study-level threshold. ihd_predict and ihd_eval apply exactly this. A run recorded before
// per-output thresholds has one threshold, which then decides every output.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/pipeline/evaluation.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/train_options.h"

namespace ihd::pipeline {

struct RunCalibration {
  std::vector<std::string> label_names;  // one per output
  std::vector<double> temperatures;      // one per output; empty: 1 for all
  double decision_threshold = 0.5;       // on calibrated probabilities of the headline output
  // One per output, on that output's calibrated probabilities; the headline's equals
  // decision_threshold. Empty (before calibration, or without a validation split): every output
  // is decided at decision_threshold.
  std::vector<double> decision_thresholds;
  std::optional<double> study_decision_threshold;  // two-stage runs: on study probabilities
};

// One temperature per output, fitted on `validation` (logits and labels); 1 where it cannot be
// fitted (one class, equal logits, no sample). Prints each fit.
std::vector<double> fit_output_temperatures(const Predictions& validation);

// Each output's threshold at `target_sensitivity` on `calibrated` (scores after the
// temperatures): the highest score at which that output's recall reaches the target; 0.5 for an
// output without a positive label there.
std::vector<double> sensitivity_thresholds(const Predictions& calibrated,
                                           double target_sensitivity);

// sigmoid(logit(probability) / temperature): a probability (or threshold) after scaling.
double calibrated_probability(double probability, double temperature);

// Applies the temperatures to every score (from the logits); the labels stay.
void apply_temperatures(Predictions& predictions, const std::vector<double>& temperatures);

// config.json's values: the format id, every flag, the label names, the commit, the device and
// threads used, and the calibration.
ConfigValues run_config_values(const TrainOptions& options, const RunCalibration& calibration);

// The calibration back from a run's config.json (temperatures 1 and threshold 0.5 when a run
// predates them; every output at decision_threshold when it lists no decision_thresholds, always
// `outputs` of them); throws Error(bad_config) naming `config_path` for values that do not parse.
RunCalibration read_run_calibration(const std::map<std::string, std::string>& config,
                                    const std::string& config_path, size_t outputs);

}  // namespace ihd::pipeline
