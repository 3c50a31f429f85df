// Max pooling and global average pooling on the GPU, NHWC. Same contracts as
// kernels/cpu/pooling.h (max pool: padding is -infinity; the gradient goes to the first maximum
// of each window); pointers are device pointers. Both directions are deterministic.
#pragma once

#include <cstdint>

#include "kernels/geometry.h"
#include "kernels/bfloat16.h"

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


// bfloat16 activations. Max pooling only moves values, so it is exact; the global average pool
// reads bfloat16 and writes float32 features (the classifier head stays in float32), and its
// backward rounds each input gradient once.
void max_pool2d_forward(const Pool2dGeometry& geometry, const bfloat16* x, bfloat16* y);
void max_pool2d_backward(const Pool2dGeometry& geometry, const bfloat16* x, const bfloat16* y,
                         const bfloat16* dy, bfloat16* dx);
void global_avg_pool_forward(int batch, int64_t pixels, int channels, const bfloat16* x,
                             float* y);
void global_avg_pool_backward(int batch, int64_t pixels, int channels, const float* dy,
                              bfloat16* dx);

}  // namespace ihd::kernels::cuda
