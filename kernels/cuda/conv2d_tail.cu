// bias_residual_relu (kernels/cuda/conv2d_tail.h): one element per index of a grid-stride loop.
#include "kernels/cuda/bfloat16.cuh"
#include "kernels/cuda/conv2d_tail.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/rules/activation.h"

namespace ihd::kernels::cuda {

void bias_residual_relu(int64_t n, int channels, const float* bias, const bfloat16* residual,
                        bool relu, bfloat16* y) {
  const __nv_bfloat16* r = device_type(residual);
  __nv_bfloat16* out = device_type(y);
  for_each_index(n, [=] __device__(int64_t i) {
    float value = as_float(out[i]) + bias[i % channels];
    if (r != nullptr) value += as_float(r[i]);
    if (relu) value = rules::relu(value);
    out[i] = from_float<__nv_bfloat16>(value);
  });
}

}  // namespace ihd::kernels::cuda
