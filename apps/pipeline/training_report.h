// write_training_report(): report.html of a training run (the slice model) or of a sequence stage,
// written from the run's folder alone, so that every writer of it writes the same page: the
// trainers after each epoch, and after run_training() or the sequence stage returns (the
// calibration then in config.json) their callers once more. It reads the settings, the ranking
// rule, the label names and, once the run is calibrated, the operating threshold that ihd_predict
// and ihd_eval apply from config.json; every epoch from history.csv; the selected epoch's scores
// from best_predictions.csv.
#pragma once

#include <filesystem>

namespace ihd::pipeline {

void write_training_report(const std::filesystem::path& run_dir);

}  // namespace ihd::pipeline
