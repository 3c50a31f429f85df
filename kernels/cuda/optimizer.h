// Optimizer updates on the GPU, in place over one parameter's n floats, with PyTorch's rules.
// Same contracts and hyper-parameter structs (SgdHyper, AdamHyper) as kernels/cpu/optimizer.h;
// pointers are device pointers. One launch per parameter tensor.
#pragma once

#include <cstdint>

#include "kernels/cpu/optimizer.h"

namespace ihd::kernels::cuda {

// momentum_buffer may be null when momentum is 0; first_step initialises it with the gradient.
void sgd_update(int64_t n, float* param, const float* grad, float* momentum_buffer,
                const SgdHyper& hyper, bool first_step);
void adam_update(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 const AdamHyper& hyper);

}  // namespace ihd::kernels::cuda
