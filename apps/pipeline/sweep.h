// The seed's model-selection protocol as one command (ihd_train --sweep): round 1 trains each
// learning rate on a subset for a few epochs; the best few, by the run's ranking, go on to round 2
// for longer; the winner then trains on a larger subset. Each run is an ordinary run folder under
// <out>/round1/lr-1e-3, <out>/round2/..., <out>/final; <out>/report.html draws one line per
// learning rate for recall, accuracy, precision and loss, per round, with a summary table.
#pragma once

#include "apps/pipeline/trainer.h"

namespace ihd::pipeline {

// Returns the final run's outcome.
TrainingOutcome run_sweep(const TrainOptions& options);

}  // namespace ihd::pipeline
