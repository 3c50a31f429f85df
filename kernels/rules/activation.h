// The activations' element rules, written once for both backends (host_device.h): elementwise.h's
// ReLU and sigmoid kernels, batch norm's fused ReLU and its gradient mask, the GRU's gates and the
// BCE gradient all call these.
#pragma once

#include <cmath>

#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

IHD_HOST_DEVICE inline float relu(float x) {
  return x > 0.0f ? x : 0.0f;
}

// dL/dx of a ReLU from its output y: dy where y > 0, else 0.
IHD_HOST_DEVICE inline float relu_gradient(float y, float dy) {
  return y > 0.0f ? dy : 0.0f;
}

IHD_HOST_DEVICE inline float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

// dL/dx of a sigmoid from its output y.
IHD_HOST_DEVICE inline float sigmoid_gradient(float y, float dy) {
  return dy * y * (1.0f - y);
}

}  // namespace ihd::kernels::rules
