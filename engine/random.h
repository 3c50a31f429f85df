// The random initialisers of the engine: fill a float32 tensor from ihd::Random (common/random.h),
// drawn on the host so that every device gets the same values from the same seed.
#pragma once

#include "common/random.h"
#include "engine/tensor.h"

namespace ihd {

// In-place initialisers of a float32 tensor (any device; values are drawn on the host).
void fill_normal(const Tensor& tensor, Random& random, float mean, float stddev);
void fill_uniform(const Tensor& tensor, Random& random, float low, float high);

}  // namespace ihd
