// Numerical guards for --check-numerics: after each backward pass the trainer scans every
// parameter's gradient, and after each optimiser step every weight and buffer, for NaN and
// infinity. The first offender is named (its torchvision name says which layer's op produced it),
// so a run that diverges stops at the step where it happened rather than at the loss a step later.
#pragma once

#include <optional>
#include <string>

#include "engine/module.h"

namespace ihd::pipeline {

// "gradient of layer1.0.conv1.weight holds NaN (3 of 1152 values not finite)", or nullopt.
std::optional<std::string> find_non_finite_gradient(const Module& model);
// "weight layer1.0.bn1.running_var holds inf (1 of 64 values not finite)", or nullopt.
std::optional<std::string> find_non_finite_weight(const Module& model);

}  // namespace ihd::pipeline
