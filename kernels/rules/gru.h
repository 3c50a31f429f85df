// The GRU's per-unit rules, written once for both backends (host_device.h): where a recurrence
// step reads, one unit's step forward (PyTorch's equations, kernels/gru.h) and its gradient.
// Both backends call them once per (sequence, unit) of a step, so their arithmetic is the same.
#pragma once

#include <cmath>

#include "kernels/rules/activation.h"
#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// Position of recurrence step `step` of a sequence with `length` real steps.
IHD_HOST_DEVICE inline int position_of_step(int step, int length, bool reverse) {
  return reverse ? length - 1 - step : step;
}

// Unit j of one sequence's step: gi = W_i x at its position, gh = W_h h of its row (both [3H],
// gates r, z, n), h the state before the step. Writes the saved gates (r, z, n, W_hn h + b_hn) at
// step_gates[j], [H + j], [2H + j], [3H + j]; returns the new state h'.
IHD_HOST_DEVICE inline float gru_unit_forward(int hidden_size, int j, const float* gi,
                                              const float* gh, const float* bias_ih,
                                              const float* bias_hh, float h, float* step_gates) {
  const int jz = hidden_size + j, jn = 2 * hidden_size + j;
  const float r = sigmoid(gi[j] + bias_ih[j] + gh[j] + bias_hh[j]);
  const float z = sigmoid(gi[jz] + bias_ih[jz] + gh[jz] + bias_hh[jz]);
  const float hidden_candidate_part = gh[jn] + bias_hh[jn];
  const float candidate = tanhf(gi[jn] + bias_ih[jn] + r * hidden_candidate_part);
  step_gates[j] = r;
  step_gates[jz] = z;
  step_gates[jn] = candidate;
  step_gates[3 * hidden_size + j] = hidden_candidate_part;
  return (1.0f - z) * candidate + z * h;
}

// The gradient of gru_unit_forward: dh = dL/dh' (the output's gradient plus the carry from the
// next step), h_before the state the step read. Writes the pre-activation gradients of unit j,
// dgi on the input side and dgh on the hidden side ([3H] each, gates r, z, n); returns dL/dh
// through z, the carry to the step before (W_h's part is added by a GEMM).
IHD_HOST_DEVICE inline float gru_unit_backward(int hidden_size, int j, const float* step_gates,
                                               float h_before, float dh, float* dgi, float* dgh) {
  const int jz = hidden_size + j, jn = 2 * hidden_size + j;
  const float r = step_gates[j], z = step_gates[jz], candidate = step_gates[jn];
  const float hidden_candidate_part = step_gates[3 * hidden_size + j];
  const float d_candidate = dh * (1.0f - z) * (1.0f - candidate * candidate);
  const float d_update = dh * (h_before - candidate) * z * (1.0f - z);
  const float d_reset = d_candidate * hidden_candidate_part * r * (1.0f - r);
  dgi[j] = d_reset;
  dgi[jz] = d_update;
  dgi[jn] = d_candidate;
  dgh[j] = d_reset;
  dgh[jz] = d_update;
  dgh[jn] = d_candidate * r;
  return dh * z;
}

}  // namespace ihd::kernels::rules
