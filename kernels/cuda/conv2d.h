// 2-D convolution on the GPU through cuDNN: NHWC input, OHWI weights (cuDNN's NHWC filter
// format, KRSC), NHWC output. Same contracts as kernels/cpu/conv2d.h; pointers are device
// pointers. The algorithm of each shape and direction is chosen once (cudnnFind) and cached.
#pragma once

#include "kernels/geometry.h"
#include "kernels/bfloat16.h"

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


// bfloat16 operands and results, products accumulated in float32 (tensor cores on the GPU), each
// output rounded once. No bias: ResNet's convolutions have none.
void conv2d_forward(const Conv2dGeometry& geometry, const bfloat16* x, const bfloat16* w,
                    bfloat16* y);
void conv2d_backward_data(const Conv2dGeometry& geometry, const bfloat16* dy, const bfloat16* w,
                          bfloat16* dx);
void conv2d_backward_weight(const Conv2dGeometry& geometry, const bfloat16* x,
                            const bfloat16* dy, bfloat16* dw);

}  // namespace ihd::kernels::cuda
