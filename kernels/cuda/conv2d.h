// 2-D convolution on the GPU through cuDNN: NHWC input, OHWI weights (cuDNN's NHWC filter
// format, KRSC), NHWC output. Same contracts as kernels/cpu/conv2d.h; pointers are device
// pointers. The algorithm of each shape and direction is chosen once (cudnnFind) and cached.
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cuda {

// y[N,OH,OW,O] = conv(x[N,H,W,C], w[O,KH,KW,C]) + bias[O] (bias may be null).
void conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                    const float* bias, float* y);
// dx[N,H,W,C] = gradient of the loss with respect to x (overwritten).
void conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                          float* dx);
// dw[O,KH,KW,C] and dbias[O] (may be null), both overwritten.
void conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                            float* dw, float* dbias);

}  // namespace ihd::kernels::cuda
