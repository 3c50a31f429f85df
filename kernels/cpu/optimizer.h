// Optimizer updates on the CPU, in place over one parameter's n floats, with PyTorch's rules
// (torch.optim.SGD, Adam, AdamW). The hyper-parameters travel in plain structs shared with the
// CUDA twins.
#pragma once

#include <cstdint>

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

}  // namespace ihd::kernels

namespace ihd::kernels::cpu {

// momentum_buffer may be null when momentum is 0; first_step initialises it with the gradient.
void sgd_update(int64_t n, float* param, const float* grad, float* momentum_buffer,
                const SgdHyper& hyper, bool first_step);
void adam_update(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 const AdamHyper& hyper);

}  // namespace ihd::kernels::cpu
