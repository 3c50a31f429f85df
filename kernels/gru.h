// A bidirectional GRU layer over a padded batch of variable-length series, declared once for
// both backends (backend.h), with PyTorch's equations and gate order (r, z, n), h0 = 0 (one
// unit's step and its gradient are written once, in kernels/rules/gru.h):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
//   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
// The weights of one direction are PyTorch's: weight_ih [3H, C], weight_hh [3H, H], bias_ih and
// bias_hh [3H], gate rows in the order r, z, n.
//
// Masking contract: sequence n has lengths[n] real steps (1..T); the positions t >= lengths[n]
// are padding. They are never read (x and dy may hold anything there, NaN included), take no
// part in the recurrence (the reverse direction starts at lengths[n] - 1), and their outputs and
// input gradients are written as 0. `lengths` is host memory on both backends (like a geometry;
// CUDA copies it to the device).
//
// Layout: x [N, T, C]; y [N, T, 2H], the forward direction in columns [0, H), the reverse one in
// [H, 2H) (PyTorch's bidirectional output). `saved` holds, per direction, what the backward pass
// needs, indexed by recurrence step s (the reverse direction's step s is position
// lengths[n] - 1 - s): the gates [T, N, 4H] (r, z, n, W_hn h + b_hn) followed by the hidden state
// before each step [T, N, H]; zeros where s >= lengths[n]. Forward first, then reverse:
// 2 * geometry.saved_elements_per_direction() floats.
#pragma once

#include "kernels/backend.h"
#include "kernels/geometry.h"

namespace ihd::kernels {

// One direction's parameters (device pointers on CUDA).
struct GruDirectionWeights {
  const float* weight_ih;
  const float* weight_hh;
  const float* bias_ih;
  const float* bias_hh;
};
// Their gradients, overwritten by the backward pass.
struct GruDirectionGradients {
  float* weight_ih;
  float* weight_hh;
  float* bias_ih;
  float* bias_hh;
};

// y and saved are overwritten.
template <Backend B>
void gru_bidirectional_forward(const GruGeometry& geometry, const int* lengths, const float* x,
                               const GruDirectionWeights& forward,
                               const GruDirectionWeights& reverse, float* y, float* saved);
// dy [N, T, 2H]; dx [N, T, C] (may be null) and every weight gradient are overwritten.
template <Backend B>
void gru_bidirectional_backward(const GruGeometry& geometry, const int* lengths, const float* x,
                                const GruDirectionWeights& forward,
                                const GruDirectionWeights& reverse, const float* saved,
                                const float* dy, float* dx,
                                const GruDirectionGradients& grad_forward,
                                const GruDirectionGradients& grad_reverse);

}  // namespace ihd::kernels
