// Max pooling and global average pooling on the GPU, NHWC. Same contracts as
// kernels/cpu/pooling.h (max pool: padding is -infinity; the gradient goes to the first maximum
// of each window); pointers are device pointers. Both directions are deterministic.
#pragma once

#include <cstdint>

#include "kernels/geometry.h"

namespace ihd::kernels::cuda {

// Padding counts as -infinity, as in PyTorch.
void max_pool2d_forward(const Pool2dGeometry& geometry, const float* x, float* y);
// Each output's gradient goes to the first input of its window (row-major scan) that equals the
// maximum, as PyTorch does; dx is overwritten.
void max_pool2d_backward(const Pool2dGeometry& geometry, const float* x, const float* y,
                         const float* dy, float* dx);
// y[n,c] = mean over the pixels of x[n,:,:,c]; pixels = H*W.
void global_avg_pool_forward(int batch, int64_t pixels, int channels, const float* x, float* y);
void global_avg_pool_backward(int batch, int64_t pixels, int channels, const float* dy, float* dx);

}  // namespace ihd::kernels::cuda
