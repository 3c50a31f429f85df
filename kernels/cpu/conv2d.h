// 2-D convolution on the CPU: NHWC input, OHWI weights, NHWC output, square stride and padding,
// no dilation or groups (ResNet needs neither). Runs on oneDNN when the build has it
// (conv2d_onednn.h), else on im2col + BLAS GEMM (conv2d_reference.h); both meet this contract.
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

// y[N,OH,OW,O] = conv(x[N,H,W,C], w[O,KH,KW,C]) + bias[O] (bias may be null).
void conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                    const float* bias, float* y);
// dx[N,H,W,C] = gradient of the loss with respect to x (overwritten).
void conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                          float* dx);
// dw[O,KH,KW,C] and dbias[O] (may be null), both overwritten.
void conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                            float* dw, float* dbias);

}  // namespace ihd::kernels::cpu
