// The <Backend::cpu> specializations of kernels/gru.h, with one unit's step and gradient from
// kernels/rules/gru.h (shared with CUDA). The bidirectional GRU on the CPU, one direction at a
// time, split the way the work is:
//   - the input projections W_i x of every position at once, one BLAS GEMM [N*T, C] x [C, 3H];
//   - then the recurrence, step by step: one small GEMM [N, H] x [H, 3H] for W_h h of the whole
//     batch, and a gate pass over (sequence, unit) that reads W_i x at each sequence's own
//     position (the reverse direction's step s is position lengths[n] - 1 - s);
//   - backward, the same steps in reverse order, each GEMM transposed, carrying dL/dh from step
//     to step; the weight gradients afterwards as GEMMs over all steps.
// Gate gradients are indexed like the saved gates (see kernels/gru.h): by position for the input
// side (so that dx and dW_ih are GEMMs against x), by step for the hidden side (so that dW_hh is
// one GEMM against the saved hidden states). Finished sequences keep zeros there, so padding adds
// nothing; dW_ih is summed over each sequence's real rows only, so padded x is never read.
#include "kernels/gru.h"

#include <cstring>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/rules/gru.h"

namespace ihd::kernels {
namespace {

// A step's gate pass is small (batch x hidden units) and runs 2T times a layer: below this many
// units it stays on one thread, where starting the team and its barrier would cost more.
constexpr int64_t kParallelGateUnits = 1 << 14;

// One direction: writes its half of y (columns [column, column + H)) and its saved block.
void direction_forward(const GruGeometry& g, const int* lengths, bool reverse, int column,
                       const float* x, const GruDirectionWeights& w, float* y, float* saved) {
  const int batch = g.batch, steps = g.steps, hidden_size = g.hidden_size;
  const int64_t gate_rows = g.gate_rows(), output_width = 2 * static_cast<int64_t>(hidden_size);
  const bool parallel_gates = static_cast<int64_t>(batch) * hidden_size > kParallelGateUnits;
  std::vector<float> input_gates(static_cast<std::size_t>(g.rows() * gate_rows));
  gemm<Backend::cpu>(false, true, g.rows(), gate_rows, g.input_size, 1.0f, x, w.weight_ih, 0.0f,
                     input_gates.data());
  std::vector<float> hidden(static_cast<std::size_t>(batch) * hidden_size, 0.0f);
  std::vector<float> hidden_gates(static_cast<std::size_t>(batch * gate_rows));
  float* gates = saved;
  float* hidden_before = saved + g.rows() * 4 * hidden_size;
  for (int s = 0; s < steps; ++s) {
    gemm<Backend::cpu>(false, true, batch, gate_rows, hidden_size, 1.0f, hidden.data(), w.weight_hh,
                       0.0f, hidden_gates.data());
#pragma omp parallel for if (parallel_gates)
    for (int n = 0; n < batch; ++n) {
      const int64_t step_row = static_cast<int64_t>(s) * batch + n;
      float* step_gates = gates + step_row * 4 * hidden_size;
      float* step_hidden_before = hidden_before + step_row * hidden_size;
      if (s >= lengths[n]) {  // position s is padding
        std::memset(step_gates, 0, sizeof(float) * 4 * hidden_size);
        std::memset(step_hidden_before, 0, sizeof(float) * hidden_size);
        std::memset(y + (static_cast<int64_t>(n) * steps + s) * output_width + column, 0,
                    sizeof(float) * hidden_size);
        continue;
      }
      const int64_t row =
          static_cast<int64_t>(n) * steps + rules::position_of_step(s, lengths[n], reverse);
      const float* gi = input_gates.data() + row * gate_rows;
      const float* gh = hidden_gates.data() + n * gate_rows;
      float* h = hidden.data() + static_cast<int64_t>(n) * hidden_size;
      float* out = y + row * output_width + column;
      for (int j = 0; j < hidden_size; ++j) {
        step_hidden_before[j] = h[j];
        h[j] =
            rules::gru_unit_forward(hidden_size, j, gi, gh, w.bias_ih, w.bias_hh, h[j], step_gates);
        out[j] = h[j];
      }
    }
  }
}

// One direction's gradients; dx (may be null) is overwritten, or added to when accumulate_dx.
void direction_backward(const GruGeometry& g, const int* lengths, bool reverse, int column,
                        const float* x, const GruDirectionWeights& w, const float* saved,
                        const float* dy, float* dx, bool accumulate_dx,
                        const GruDirectionGradients& grad) {
  const int batch = g.batch, steps = g.steps, hidden_size = g.hidden_size;
  const int64_t gate_rows = g.gate_rows(), output_width = 2 * static_cast<int64_t>(hidden_size);
  const bool parallel_gates = static_cast<int64_t>(batch) * hidden_size > kParallelGateUnits;
  const float* gates = saved;
  const float* hidden_before = saved + g.rows() * 4 * hidden_size;
  // d(pre-activation) of the input side at each position, of the hidden side at each step.
  std::vector<float> input_gate_grads(static_cast<std::size_t>(g.rows() * gate_rows));
  std::vector<float> hidden_gate_grads(static_cast<std::size_t>(g.rows() * gate_rows));
  // dL/dh of the state step s produces, through the steps after s; at the end of step s, of the
  // state it read.
  std::vector<float> carry(static_cast<std::size_t>(batch) * hidden_size, 0.0f);
  for (int s = steps - 1; s >= 0; --s) {
    float* step_hidden_grads =
        hidden_gate_grads.data() + static_cast<int64_t>(s) * batch * gate_rows;
#pragma omp parallel for if (parallel_gates)
    for (int n = 0; n < batch; ++n) {
      const int64_t step_row = static_cast<int64_t>(s) * batch + n;
      float* dgh = step_hidden_grads + n * gate_rows;
      if (s >= lengths[n]) {  // position s is padding
        std::memset(dgh, 0, sizeof(float) * gate_rows);
        std::memset(input_gate_grads.data() + (static_cast<int64_t>(n) * steps + s) * gate_rows, 0,
                    sizeof(float) * gate_rows);
        continue;
      }
      const int64_t row =
          static_cast<int64_t>(n) * steps + rules::position_of_step(s, lengths[n], reverse);
      float* dgi = input_gate_grads.data() + row * gate_rows;
      const float* step_gates = gates + step_row * 4 * hidden_size;
      const float* h_before = hidden_before + step_row * hidden_size;
      const float* grad_out = dy + row * output_width + column;
      float* dh_carry = carry.data() + static_cast<int64_t>(n) * hidden_size;
      for (int j = 0; j < hidden_size; ++j) {
        dh_carry[j] = rules::gru_unit_backward(hidden_size, j, step_gates, h_before[j],
                                               grad_out[j] + dh_carry[j], dgi, dgh);
      }
    }
    if (s > 0) {
      gemm<Backend::cpu>(false, false, batch, hidden_size, gate_rows, 1.0f, step_hidden_grads,
                         w.weight_hh, 1.0f, carry.data());
    }
  }
  gemm<Backend::cpu>(true, false, gate_rows, hidden_size, g.rows(), 1.0f, hidden_gate_grads.data(),
                     hidden_before, 0.0f, grad.weight_hh);
  for (int n = 0; n < batch; ++n) {
    const int64_t first_row = static_cast<int64_t>(n) * steps;
    gemm<Backend::cpu>(true, false, gate_rows, g.input_size, lengths[n], 1.0f,
                       input_gate_grads.data() + first_row * gate_rows,
                       x + first_row * g.input_size, n == 0 ? 0.0f : 1.0f, grad.weight_ih);
  }
  column_sum<Backend::cpu>(g.rows(), gate_rows, input_gate_grads.data(), grad.bias_ih);
  column_sum<Backend::cpu>(g.rows(), gate_rows, hidden_gate_grads.data(), grad.bias_hh);
  if (dx) {
    gemm<Backend::cpu>(false, false, g.rows(), g.input_size, gate_rows, 1.0f,
                       input_gate_grads.data(), w.weight_ih, accumulate_dx ? 1.0f : 0.0f, dx);
  }
}

}  // namespace

template <>
void gru_bidirectional_forward<Backend::cpu>(const GruGeometry& geometry, const int* lengths,
                                             const float* x, const GruDirectionWeights& forward,
                                             const GruDirectionWeights& reverse, float* y,
                                             float* saved) {
  direction_forward(geometry, lengths, false, 0, x, forward, y, saved);
  direction_forward(geometry, lengths, true, geometry.hidden_size, x, reverse, y,
                    saved + geometry.saved_elements_per_direction());
}

template <>
void gru_bidirectional_backward<Backend::cpu>(const GruGeometry& geometry, const int* lengths,
                                              const float* x, const GruDirectionWeights& forward,
                                              const GruDirectionWeights& reverse,
                                              const float* saved, const float* dy, float* dx,
                                              const GruDirectionGradients& grad_forward,
                                              const GruDirectionGradients& grad_reverse) {
  direction_backward(geometry, lengths, false, 0, x, forward, saved, dy, dx, false, grad_forward);
  direction_backward(geometry, lengths, true, geometry.hidden_size, x, reverse,
                     saved + geometry.saved_elements_per_direction(), dy, dx, true, grad_reverse);
}

}  // namespace ihd::kernels
