// Temporal (1-D) convolution along the steps of a padded batch of variable-length series,
// declared once for both backends (backend.h): x [N, T, C], weight [O, k, C] (k odd), bias [O],
// dilation d, 'same' zero padding of (k - 1) d / 2 steps each side, y [N, T, O]:
//   y[n, t, o] = bias[o] + sum over j, c of weight[o, j, c] * x[n, t + j d - (k - 1) d / 2, c].
// Masking contract: sequence n has lengths[n] real steps (1..T). Inputs at padded positions
// (t >= lengths[n]) read as 0 and are never read (they may hold anything, NaN included); outputs
// there are 0, and dy there is never read. `lengths` is host memory on both backends (like a
// geometry; CUDA copies it to the device). PyTorch's Conv1d weight is [O, C, k]: the same
// numbers, last two axes swapped.
#pragma once

#include "kernels/backend.h"
#include "kernels/geometry.h"

namespace ihd::kernels {

// y is overwritten; bias may be null.
template <Backend B>
void temporal_conv1d_forward(const TemporalConvGeometry& geometry, const int* lengths,
                             const float* x, const float* weight, const float* bias, float* y);
// dx [N, T, C] (may be null), dweight [O, k, C] and dbias [O] (may be null) are overwritten.
template <Backend B>
void temporal_conv1d_backward(const TemporalConvGeometry& geometry, const int* lengths,
                              const float* x, const float* weight, const float* dy, float* dx,
                              float* dweight, float* dbias);

}  // namespace ihd::kernels
