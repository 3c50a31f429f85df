// BCE with logits in its stable form:
//   l = (1 - t) x + (1 + (p - 1) t) (log(1 + exp(-|x|)) + max(-x, 0)),  p = pos_weight
//   dl/dx = sigmoid(x) (p t + 1 - t) - p t
// Reduction: weight w_k per label; each element's factor is w_k / (N sum_k w_k), which is the
// plain mean 1 / (N K) when all w_k = 1.
#include "kernels/cpu/loss.h"

#include <algorithm>
#include <cmath>

namespace ihd::kernels::cpu {
namespace {

float element_factor(int rows, int labels, const float* class_weight, int k) {
  if (!class_weight) return 1.0f / (static_cast<float>(rows) * labels);
  double total = 0.0;
  for (int j = 0; j < labels; ++j) total += class_weight[j];
  return static_cast<float>(class_weight[k] / (total * rows));
}

}  // namespace

void bce_with_logits_forward(int rows, int labels, const float* logits, const float* targets,
                             const float* pos_weight, const float* class_weight, float* loss) {
  double total = 0.0;
  for (int k = 0; k < labels; ++k) {
    const double factor = element_factor(rows, labels, class_weight, k);
    const double p = pos_weight ? pos_weight[k] : 1.0;
    for (int n = 0; n < rows; ++n) {
      const double x = logits[static_cast<long>(n) * labels + k];
      const double t = targets[static_cast<long>(n) * labels + k];
      const double softplus_neg = std::log1p(std::exp(-std::abs(x))) + std::max(-x, 0.0);
      total += factor * ((1.0 - t) * x + (1.0 + (p - 1.0) * t) * softplus_neg);
    }
  }
  *loss = static_cast<float>(total);
}

void bce_with_logits_backward(int rows, int labels, const float* logits, const float* targets,
                              const float* pos_weight, const float* class_weight,
                              const float* grad_loss, float* grad_logits) {
  for (int k = 0; k < labels; ++k) {
    const float factor = element_factor(rows, labels, class_weight, k) * *grad_loss;
    const float p = pos_weight ? pos_weight[k] : 1.0f;
    for (int n = 0; n < rows; ++n) {
      const long i = static_cast<long>(n) * labels + k;
      const float t = targets[i];
      const float s = 1.0f / (1.0f + std::exp(-logits[i]));
      grad_logits[i] = factor * (s * (p * t + 1.0f - t) - p * t);
    }
  }
}

}  // namespace ihd::kernels::cpu
