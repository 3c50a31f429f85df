// The optimizers' element rules, PyTorch's (torch.optim.SGD, Adam, AdamW), written once for both
// backends (host_device.h). Each updates element i of one parameter in place; the per-parameter
// and the multi-tensor kernels of both backends differ only in how they walk the elements, so
// their results are bitwise the same on one backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/optimizer.h"
#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// momentum_buffer is read only when h.momentum != 0; first_step initialises it with the gradient.
IHD_HOST_DEVICE inline void sgd_element(int64_t i, float* param, const float* grad,
                                        float* momentum_buffer, const SgdHyper& h,
                                        bool first_step) {
  float g = grad[i] + h.weight_decay * param[i];
  if (h.momentum != 0.0f) {
    const float buffer =
        first_step ? g : h.momentum * momentum_buffer[i] + (1.0f - h.dampening) * g;
    momentum_buffer[i] = buffer;
    g = h.nesterov ? g + h.momentum * buffer : buffer;
  }
  param[i] -= h.lr * g;
}

// c: the step's constants (adam_step_constants, computed once per step on the host).
IHD_HOST_DEVICE inline void adam_element(int64_t i, float* param, const float* grad, float* exp_avg,
                                         float* exp_avg_sq, const AdamHyper& h,
                                         const AdamStepConstants& c) {
  const float p = param[i] * c.decay_factor;
  const float g = grad[i] + c.grad_decay * param[i];
  const float m = h.beta1 * exp_avg[i] + (1.0f - h.beta1) * g;
  const float v = h.beta2 * exp_avg_sq[i] + (1.0f - h.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  param[i] = p - c.step_size * m / (sqrtf(v) / c.bias_correction2_sqrt + h.eps);
}

}  // namespace ihd::kernels::rules
