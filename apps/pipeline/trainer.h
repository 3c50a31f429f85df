// run_training(): one training run from options to a finished run folder. Per epoch: train with
// a progress bar, score the validation split, append to history.csv/json, save last (and best)
// weights and the resume checkpoint, rewrite report.html. Resumes exactly where a killed run
// stopped: same data order, same weights as an uninterrupted run with the same seed. On a stop
// signal (interrupt.h) it finishes the step in progress, writes the resume checkpoint and throws
// Interrupted.
#pragma once

#include <optional>
#include <stdexcept>

#include "apps/pipeline/train_options.h"
#include "apps/training/history.h"

namespace ihd::pipeline {

struct TrainingOutcome {
  std::vector<training::EpochRecord> history;
  std::optional<training::EpochRecord> best;  // the best epoch's record on the ranking split
  double decision_threshold = 0.5;
};

// A loss that is NaN or infinite: the run stops, naming the step.
class NonFiniteLoss : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Trains as `options` say, in options.out (or continues options.resume).
TrainingOutcome run_training(const TrainOptions& options);

}  // namespace ihd::pipeline
