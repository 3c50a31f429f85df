// SGD (momentum, dampening, Nesterov, weight decay) and Adam/AdamW updates on the GPU: one
// elementwise pass per parameter that reads the parameter, its gradient and its state once and
// writes them once. Bias corrections are computed on the host exactly as in the CPU twin.
#include <cmath>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/optimizer.h"

namespace ihd::kernels::cuda {

void sgd_update(int64_t n, float* param, const float* grad, float* momentum_buffer,
                const SgdHyper& hyper, bool first_step) {
  const SgdHyper h = hyper;
  for_each_index(n, [=] __device__(int64_t i) {
    float g = grad[i] + h.weight_decay * param[i];
    if (h.momentum != 0.0f) {
      const float buffer =
          first_step ? g : h.momentum * momentum_buffer[i] + (1.0f - h.dampening) * g;
      momentum_buffer[i] = buffer;
      g = h.nesterov ? g + h.momentum * buffer : buffer;
    }
    param[i] -= h.lr * g;
  });
}

void adam_update(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 const AdamHyper& h) {
  const float bias_correction1 = 1.0f - static_cast<float>(std::pow(h.beta1, h.step));
  const float bias_correction2_sqrt =
      static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(h.beta2), h.step)));
  const float step_size = h.lr / bias_correction1;
  const float decay_factor = h.decoupled_weight_decay ? 1.0f - h.lr * h.weight_decay : 1.0f;
  const float grad_decay = h.decoupled_weight_decay ? 0.0f : h.weight_decay;
  const float beta1 = h.beta1, beta2 = h.beta2, eps = h.eps;
  for_each_index(n, [=] __device__(int64_t i) {
    const float p = param[i] * decay_factor;
    const float g = grad[i] + grad_decay * param[i];
    const float m = beta1 * exp_avg[i] + (1.0f - beta1) * g;
    const float v = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = p - step_size * m / (sqrtf(v) / bias_correction2_sqrt + eps);
  });
}

}  // namespace ihd::kernels::cuda
