// Optimizer updates, in place, with PyTorch's rules (torch.optim.SGD, Adam, AdamW), declared once
// for both backends (backend.h): over one parameter's n floats (sgd_update, adam_update: the
// reference), or over many parameters in one call (sgd_update_many, adam_update_many: what the
// engine's optimizers use; bitwise the same results). The update of one element is written once,
// in kernels/rules/optimizer.h. The hyper-parameters and the parameter table travel in plain
// structs; on CUDA the table's pointers are device pointers.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/backend.h"

namespace ihd::kernels {

struct SgdHyper {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};

struct AdamHyper {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false;  // AdamW
  int64_t step = 1;                     // 1 on the first update
};

// The per-step constants of Adam's update, computed once per step on the host, by this one
// function for both backends.
struct AdamStepConstants {
  float step_size;              // lr / (1 - beta1^step)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^step)
  float decay_factor;           // AdamW: 1 - lr * weight_decay; Adam: 1
  float grad_decay;             // Adam: weight_decay, added to the gradient; AdamW: 0
};
inline AdamStepConstants adam_step_constants(const AdamHyper& h) {
  const float bias_correction1 = 1.0f - static_cast<float>(std::pow(h.beta1, h.step));
  AdamStepConstants c;
  c.step_size = h.lr / bias_correction1;
  c.bias_correction2_sqrt =
      static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(h.beta2), h.step)));
  c.decay_factor = h.decoupled_weight_decay ? 1.0f - h.lr * h.weight_decay : 1.0f;
  c.grad_decay = h.decoupled_weight_decay ? 0.0f : h.weight_decay;
  return c;
}

// One parameter of a multi-tensor update: its n floats, its gradient, and the state buffers its
// rule uses (the others stay null).
struct ParameterSlice {
  int64_t n = 0;
  float* param = nullptr;
  const float* grad = nullptr;
  float* momentum_buffer = nullptr;  // SGD with momentum
  float* exp_avg = nullptr;          // Adam(W)
  float* exp_avg_sq = nullptr;       // Adam(W)
  bool first_step = false;           // SGD: initialise momentum_buffer with the gradient
};

// momentum_buffer may be null when momentum is 0; first_step initialises it with the gradient.
template <Backend B>
void sgd_update(int64_t n, float* param, const float* grad, float* momentum_buffer,
                const SgdHyper& hyper, bool first_step);
template <Backend B>
void adam_update(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 const AdamHyper& hyper);

// The same updates over `count` parameters at once (slices of size 0 are allowed); `slices` is a
// host array (of device pointers on CUDA), read before the call returns. The work is split in
// fixed-size chunks of all the parameters, so small tensors share the threads with large ones
// (CUDA: up to 256 parameters per launch, ResNet-50's 161 in one).
template <Backend B>
void sgd_update_many(const ParameterSlice* slices, int count, const SgdHyper& hyper);
template <Backend B>
void adam_update_many(const ParameterSlice* slices, int count, const AdamHyper& hyper);

}  // namespace ihd::kernels
