// Temporal (1-D) convolution on the GPU. Same contracts as kernels/cpu/temporal_conv.h; pointers
// are device pointers, except `lengths`, which is host memory (copied to the device by the call).
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cuda {

// y is overwritten; bias may be null.
void temporal_conv1d_forward(const TemporalConvGeometry& geometry, const int* lengths,
                             const float* x, const float* weight, const float* bias, float* y);
// dx [N, T, C] (may be null), dweight [O, k, C] and dbias [O] (may be null) are overwritten.
void temporal_conv1d_backward(const TemporalConvGeometry& geometry, const int* lengths,
                              const float* x, const float* weight, const float* dy, float* dx,
                              float* dweight, float* dbias);

}  // namespace ihd::kernels::cuda
