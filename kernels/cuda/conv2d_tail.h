// The GPU's tail of the bfloat16 fused inference convolution (kernels/conv2d.h,
// conv2d_forward_fused): cuDNN's bfloat16 convolution takes no bias and writes bfloat16, so the
// bias, the residual and the ReLU follow in one pass over its output. The CPU's twin is the whole
// fused op (oneDNN's post-ops, or the widened reference), compared with it by the op cases.
#pragma once

#include <cstdint>

#include "kernels/bfloat16.h"

namespace ihd::kernels::cuda {

// y[i] = relu(y[i] + bias[i % channels] + residual[i]) over the n elements of an NHWC tensor
// (residual may be null; the ReLU only when `relu`), in float32, each result rounded once.
void bias_residual_relu(int64_t n, int channels, const float* bias, const bfloat16* residual,
                        bool relu, bfloat16* y);

}  // namespace ihd::kernels::cuda
