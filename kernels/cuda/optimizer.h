// Optimizer updates on the GPU, in place, with PyTorch's rules. Same contracts and structs
// (SgdHyper, AdamHyper, ParameterSlice) as kernels/cpu/optimizer.h; pointers are device pointers.
// The per-parameter updates take one launch each; the multi-tensor ones update up to 256
// parameters per launch (ResNet-50's 161 in one), their table passed as the kernel's argument.
#pragma once

#include <cstdint>

#include "kernels/cpu/optimizer.h"

namespace ihd::kernels::cuda {

// momentum_buffer may be null when momentum is 0; first_step initialises it with the gradient.
void sgd_update(int64_t n, float* param, const float* grad, float* momentum_buffer,
                const SgdHyper& hyper, bool first_step);
void adam_update(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 const AdamHyper& hyper);

// The same updates over `count` parameters at once (slices of size 0 are allowed); `slices` is a
// host array of device pointers, read before the call returns.
void sgd_update_many(const ParameterSlice* slices, int count, const SgdHyper& hyper);
void adam_update_many(const ParameterSlice* slices, int count, const AdamHyper& hyper);

}  // namespace ihd::kernels::cuda
