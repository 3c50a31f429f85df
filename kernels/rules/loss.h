// BCE with logits' element rules, written once for both backends (host_device.h), in the stable
// form (p = pos_weight, t the target, x the logit):
//   l = (1 - t) x + (1 + (p - 1) t) (log(1 + exp(-|x|)) + max(-x, 0))
//   dl/dx = sigmoid(x) (p t + 1 - t) - p t
// and the weight of element (n, k) in the reduction, r_n w_k / (sum_n r_n sum_k w_k), which is
// the plain mean 1 / (N K) when all weights are 1.
#pragma once

#include <cmath>

#include "kernels/rules/activation.h"
#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// The weight of element (n, k): row_weight r_n times class_weight[k] (1 where null) times
// normaliser = 1 / (sum_n r_n sum_k w_k).
IHD_HOST_DEVICE inline double bce_element_weight(double row_weight, const float* class_weight,
                                                 int k, double normaliser) {
  return row_weight * (class_weight ? class_weight[k] : 1.0) * normaliser;
}

// l(x, t) in double.
IHD_HOST_DEVICE inline double bce_element_loss(double x, double t, double pos_weight) {
  const double negative_part = -x < 0.0 ? 0.0 : -x;  // max(-x, 0)
  const double softplus_neg = log1p(exp(-fabs(x))) + negative_part;
  return (1.0 - t) * x + (1.0 + (pos_weight - 1.0) * t) * softplus_neg;
}

// dl/dx(x, t) in float.
IHD_HOST_DEVICE inline float bce_element_gradient(float x, float t, float pos_weight) {
  return sigmoid(x) * (pos_weight * t + 1.0f - t) - pos_weight * t;
}

}  // namespace ihd::kernels::rules
