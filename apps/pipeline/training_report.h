// write_training_report(): report.html of a training run (the slice model) or of a sequence stage,
// written from the run's folder alone, so that every writer of it writes the same page (the slice
// model's trainer and the sequence stage's, after each epoch). It reads the settings and the
// ranking rule from config.json, every epoch from history.csv, the selected epoch's scores from
// best_predictions.csv.
#pragma once

#include <filesystem>

namespace ihd::pipeline {

void write_training_report(const std::filesystem::path& run_dir);

}  // namespace ihd::pipeline
