// describe_run_plan(): what a new ihd_train run is about to do, printed before it starts (so that
// `ihd_train` alone says it will synthesise a set and train ResNet-50 for a while, and where):
// the data (or the synthetic set's size), the model and image size, the epochs and optimiser,
// the device, threads and precision, the run folder, and how to stop it.
#pragma once

#include <string>

#include "apps/pipeline/train_options.h"

namespace ihd::pipeline {

// Lines ending in '\n'. `latest_link` is the runs/latest link that points at the run folder, or
// "" when there is none.
std::string describe_run_plan(const TrainOptions& options, const std::string& latest_link);

}  // namespace ihd::pipeline
