// Max pooling and global average pooling, NHWC, declared once for both backends (backend.h).
// Both directions are deterministic on both backends.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/geometry.h"

namespace ihd::kernels {

// Padding counts as -infinity, as in PyTorch.
template <Backend B>
void max_pool2d_forward(const Pool2dGeometry& geometry, const float* x, float* y);
// Each output's gradient goes to the first input of its window (row-major scan) that equals the
// maximum, as PyTorch does; dx is overwritten.
template <Backend B>
void max_pool2d_backward(const Pool2dGeometry& geometry, const float* x, const float* y,
                         const float* dy, float* dx);
// y[n,c] = mean over the pixels of x[n,:,:,c]; pixels = H*W.
template <Backend B>
void global_avg_pool_forward(int batch, int64_t pixels, int channels, const float* x, float* y);
template <Backend B>
void global_avg_pool_backward(int batch, int64_t pixels, int channels, const float* dy, float* dx);

// bfloat16 activations. Max pooling only moves values, so it is exact; the global average pool
// reads bfloat16 and writes float32 features (the classifier head stays in float32), and its
// backward rounds each input gradient once.
template <Backend B>
void max_pool2d_forward(const Pool2dGeometry& geometry, const bfloat16* x, bfloat16* y);
template <Backend B>
void max_pool2d_backward(const Pool2dGeometry& geometry, const bfloat16* x, const bfloat16* y,
                         const bfloat16* dy, bfloat16* dx);
template <Backend B>
void global_avg_pool_forward(int batch, int64_t pixels, int channels, const bfloat16* x, float* y);
template <Backend B>
void global_avg_pool_backward(int batch, int64_t pixels, int channels, const float* dy,
                              bfloat16* dx);

}  // namespace ihd::kernels
