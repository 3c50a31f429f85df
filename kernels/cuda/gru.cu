// The <Backend::cuda> specializations of kernels/gru.h, with one unit's step and gradient from
// kernels/rules/gru.h (shared with the CPU). The bidirectional GRU on the GPU, split as on the CPU
// (kernels/cpu/gru.cpp) step for step:
// the input projections of all positions as one cuBLAS GEMM, then per recurrence step one small
// GEMM for W_h h of the whole batch and one launch of a gate kernel, a thread per (sequence,
// unit); backward the same in reverse, then the weight gradients as GEMMs over all steps and the
// bias gradients as deterministic column sums. The hidden state of a step depends on the previous
// one, so the steps are launches in order on the compute stream; all of a step's sequences and
// units run at once.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sequence_scratch.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/gru.h"
#include "kernels/rules/gru.h"

namespace ihd::kernels::cuda {
namespace {

// Scratch floats of one direction's pass: forward input_gates [N*T, 3H], hidden [N, H],
// hidden_gates [N, 3H]; backward input_gate_grads and hidden_gate_grads [N*T, 3H], carry [N, H].
int64_t scratch_floats(const GruGeometry& g) {
  const int64_t forward =
      g.rows() * g.gate_rows() + static_cast<int64_t>(g.batch) * 4 * g.hidden_size;
  const int64_t backward =
      2 * g.rows() * g.gate_rows() + static_cast<int64_t>(g.batch) * g.hidden_size;
  return forward > backward ? forward : backward;
}

// One direction: writes its half of y (columns [column, column + H)) and its saved block.
void direction_forward(const GruGeometry& g, const int* lengths, bool reverse, int column,
                       const float* x, const GruDirectionWeights& w, float* y, float* saved,
                       float* scratch) {
  const int batch = g.batch, steps = g.steps, hidden_size = g.hidden_size;
  const int64_t gate_rows = g.gate_rows(), output_width = 2 * static_cast<int64_t>(hidden_size);
  float* input_gates = scratch;
  float* hidden = input_gates + g.rows() * gate_rows;
  float* hidden_gates = hidden + static_cast<int64_t>(batch) * hidden_size;
  gemm<Backend::cuda>(false, true, g.rows(), gate_rows, g.input_size, 1.0f, x, w.weight_ih, 0.0f,
                      input_gates);
  fill<Backend::cuda>(static_cast<int64_t>(batch) * hidden_size, 0.0f, hidden);
  float* gates = saved;
  float* hidden_before = saved + g.rows() * 4 * hidden_size;
  for (int s = 0; s < steps; ++s) {
    gemm<Backend::cuda>(false, true, batch, gate_rows, hidden_size, 1.0f, hidden, w.weight_hh, 0.0f,
                        hidden_gates);
    for_each_index(static_cast<int64_t>(batch) * hidden_size, [=] __device__(int64_t i) {
      const int n = static_cast<int>(i / hidden_size), j = static_cast<int>(i % hidden_size);
      const int jz = hidden_size + j, jn = 2 * hidden_size + j;
      const int64_t step_row = static_cast<int64_t>(s) * batch + n;
      float* step_gates = gates + step_row * 4 * hidden_size;
      float* h_before = hidden_before + step_row * hidden_size;
      if (s >= lengths[n]) {  // position s is padding
        step_gates[j] = step_gates[jz] = step_gates[jn] = step_gates[3 * hidden_size + j] = 0.0f;
        h_before[j] = 0.0f;
        y[(static_cast<int64_t>(n) * steps + s) * output_width + column + j] = 0.0f;
        return;
      }
      const int64_t row =
          static_cast<int64_t>(n) * steps + rules::position_of_step(s, lengths[n], reverse);
      const float* gi = input_gates + row * gate_rows;
      const float* gh = hidden_gates + n * gate_rows;
      const float previous = hidden[i];
      h_before[j] = previous;
      const float next = rules::gru_unit_forward(hidden_size, j, gi, gh, w.bias_ih, w.bias_hh,
                                                 previous, step_gates);
      hidden[i] = next;
      y[row * output_width + column + j] = next;
    });
  }
}

// One direction's gradients; dx (may be null) is overwritten, or added to when accumulate_dx.
// host_lengths sizes the per-sequence GEMMs of dW_ih; lengths is the device copy.
void direction_backward(const GruGeometry& g, const int* host_lengths, const int* lengths,
                        bool reverse, int column, const float* x, const GruDirectionWeights& w,
                        const float* saved, const float* dy, float* dx, bool accumulate_dx,
                        const GruDirectionGradients& grad, float* scratch) {
  const int batch = g.batch, steps = g.steps, hidden_size = g.hidden_size;
  const int64_t gate_rows = g.gate_rows(), output_width = 2 * static_cast<int64_t>(hidden_size);
  const float* gates = saved;
  const float* hidden_before = saved + g.rows() * 4 * hidden_size;
  float* input_gate_grads = scratch;
  float* hidden_gate_grads = input_gate_grads + g.rows() * gate_rows;
  float* carry = hidden_gate_grads + g.rows() * gate_rows;
  fill<Backend::cuda>(static_cast<int64_t>(batch) * hidden_size, 0.0f, carry);
  for (int s = steps - 1; s >= 0; --s) {
    float* step_hidden_grads = hidden_gate_grads + static_cast<int64_t>(s) * batch * gate_rows;
    for_each_index(static_cast<int64_t>(batch) * hidden_size, [=] __device__(int64_t i) {
      const int n = static_cast<int>(i / hidden_size), j = static_cast<int>(i % hidden_size);
      const int jz = hidden_size + j, jn = 2 * hidden_size + j;
      const int64_t step_row = static_cast<int64_t>(s) * batch + n;
      float* dgh = step_hidden_grads + n * gate_rows;
      if (s >= lengths[n]) {  // position s is padding
        float* dgi = input_gate_grads + (static_cast<int64_t>(n) * steps + s) * gate_rows;
        dgh[j] = dgh[jz] = dgh[jn] = 0.0f;
        dgi[j] = dgi[jz] = dgi[jn] = 0.0f;
        return;
      }
      const int64_t row =
          static_cast<int64_t>(n) * steps + rules::position_of_step(s, lengths[n], reverse);
      float* dgi = input_gate_grads + row * gate_rows;
      const float* step_gates = gates + step_row * 4 * hidden_size;
      carry[i] = rules::gru_unit_backward(hidden_size, j, step_gates,
                                          hidden_before[step_row * hidden_size + j],
                                          dy[row * output_width + column + j] + carry[i], dgi, dgh);
    });
    if (s > 0) {
      gemm<Backend::cuda>(false, false, batch, hidden_size, gate_rows, 1.0f, step_hidden_grads,
                          w.weight_hh, 1.0f, carry);
    }
  }
  gemm<Backend::cuda>(true, false, gate_rows, hidden_size, g.rows(), 1.0f, hidden_gate_grads,
                      hidden_before, 0.0f, grad.weight_hh);
  for (int n = 0; n < batch; ++n) {
    const int64_t first_row = static_cast<int64_t>(n) * steps;
    gemm<Backend::cuda>(true, false, gate_rows, g.input_size, host_lengths[n], 1.0f,
                        input_gate_grads + first_row * gate_rows, x + first_row * g.input_size,
                        n == 0 ? 0.0f : 1.0f, grad.weight_ih);
  }
  column_sum<Backend::cuda>(g.rows(), gate_rows, input_gate_grads, grad.bias_ih);
  column_sum<Backend::cuda>(g.rows(), gate_rows, hidden_gate_grads, grad.bias_hh);
  if (dx) {
    gemm<Backend::cuda>(false, false, g.rows(), g.input_size, gate_rows, 1.0f, input_gate_grads,
                        w.weight_ih, accumulate_dx ? 1.0f : 0.0f, dx);
  }
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void gru_bidirectional_forward<Backend::cuda>(const GruGeometry& geometry, const int* lengths,
                                              const float* x, const GruDirectionWeights& forward,
                                              const GruDirectionWeights& reverse, float* y,
                                              float* saved) {
  const cuda::SequenceScratch scratch =
      cuda::sequence_scratch(geometry.batch, lengths, cuda::scratch_floats(geometry));
  cuda::direction_forward(geometry, scratch.lengths, false, 0, x, forward, y, saved,
                          scratch.floats);
  cuda::direction_forward(geometry, scratch.lengths, true, geometry.hidden_size, x, reverse, y,
                          saved + geometry.saved_elements_per_direction(), scratch.floats);
}

template <>
void gru_bidirectional_backward<Backend::cuda>(const GruGeometry& geometry, const int* lengths,
                                               const float* x, const GruDirectionWeights& forward,
                                               const GruDirectionWeights& reverse,
                                               const float* saved, const float* dy, float* dx,
                                               const GruDirectionGradients& grad_forward,
                                               const GruDirectionGradients& grad_reverse) {
  const cuda::SequenceScratch scratch =
      cuda::sequence_scratch(geometry.batch, lengths, cuda::scratch_floats(geometry));
  cuda::direction_backward(geometry, lengths, scratch.lengths, false, 0, x, forward, saved, dy, dx,
                           false, grad_forward, scratch.floats);
  cuda::direction_backward(geometry, lengths, scratch.lengths, true, geometry.hidden_size, x,
                           reverse, saved + geometry.saved_elements_per_direction(), dy, dx, true,
                           grad_reverse, scratch.floats);
}

}  // namespace ihd::kernels
