// Elementwise kernels over n contiguous floats, and the sums (whole tensor, per column). `scalar`
// arguments that are pointers point at one float in the kernel's own memory space (so the CUDA
// twin never has to copy a loss value to the host).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/bfloat16.h"

namespace ihd::kernels::cpu {

void fill(int64_t n, float value, float* out);
void add(int64_t n, const float* a, const float* b, float* out);
void mul(int64_t n, const float* a, const float* b, float* out);
void scale(int64_t n, const float* x, float factor, float* out);
// out[i] = *scalar * factor, for the gradient of sum/mean.
void broadcast_scalar(int64_t n, const float* scalar, float factor, float* out);
// *out = sum of x, accumulated in double.
void sum(int64_t n, const float* x, float* out);
// out[c] = sum over r of x[r, c] for a row-major [rows, columns] matrix (a bias gradient),
// accumulated in double, rows in order.
void column_sum(int64_t rows, int64_t columns, const float* x, float* out);

void relu_forward(int64_t n, const float* x, float* y);
// dx = dy where y > 0, else 0 (the mask comes from the output).
void relu_backward(int64_t n, const float* y, const float* dy, float* dx);
void sigmoid_forward(int64_t n, const float* x, float* y);
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx);

// bfloat16 storage (mixed precision; see kernels/bfloat16.h). convert rounds to nearest even.
void convert(int64_t n, const float* x, bfloat16* y);
void convert(int64_t n, const bfloat16* x, float* y);
// out = a + b computed in float32, rounded once (accumulates bfloat16 gradients).
void add(int64_t n, const bfloat16* a, const bfloat16* b, bfloat16* out);

}  // namespace ihd::kernels::cpu
