// Elementwise kernels over n contiguous floats, and the sums (whole tensor, per column), declared
// once for both backends (backend.h). `scalar` arguments that are pointers point at one float in
// the backend's own memory (so the CUDA kernels never copy a loss value to the host). The sums
// accumulate in double in a fixed order: the same input gives the same bits on every run.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace ihd::kernels {

template <Backend B>
void fill(int64_t n, float value, float* out);
template <Backend B>
void add(int64_t n, const float* a, const float* b, float* out);
template <Backend B>
void mul(int64_t n, const float* a, const float* b, float* out);
template <Backend B>
void scale(int64_t n, const float* x, float factor, float* out);
// out[i] = *scalar * factor, for the gradient of sum/mean.
template <Backend B>
void broadcast_scalar(int64_t n, const float* scalar, float factor, float* out);
// *out = sum of x, accumulated in double.
template <Backend B>
void sum(int64_t n, const float* x, float* out);
// out[c] = sum over r of x[r, c] for a row-major [rows, columns] matrix (a bias gradient),
// accumulated in double, rows in order.
template <Backend B>
void column_sum(int64_t rows, int64_t columns, const float* x, float* out);

template <Backend B>
void relu_forward(int64_t n, const float* x, float* y);
// dx = dy where y > 0, else 0 (the mask comes from the output).
template <Backend B>
void relu_backward(int64_t n, const float* y, const float* dy, float* dx);
template <Backend B>
void sigmoid_forward(int64_t n, const float* x, float* y);
template <Backend B>
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx);

// bfloat16 storage (mixed precision; see kernels/bfloat16.h). convert rounds to nearest even.
template <Backend B>
void convert(int64_t n, const float* x, bfloat16* y);
template <Backend B>
void convert(int64_t n, const bfloat16* x, float* y);
// out = a + b computed in float32, rounded once (accumulates bfloat16 gradients).
template <Backend B>
void add(int64_t n, const bfloat16* a, const bfloat16* b, bfloat16* out);

}  // namespace ihd::kernels
