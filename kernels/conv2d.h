// 2-D convolution: NHWC input, OHWI weights (cuDNN's NHWC filter format, KRSC), NHWC output,
// square stride and padding, no dilation or groups (ResNet needs neither). Declared once for both
// backends (backend.h). The CPU runs on oneDNN when the build has it (cpu/conv2d_onednn.h), else
// on im2col + BLAS GEMM (cpu/conv2d_reference.h); CUDA runs on cuDNN, the algorithm of each shape
// and direction chosen once (cudnnFind) and cached. All meet this contract.
#pragma once

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/geometry.h"

namespace ihd::kernels {

// y[N,OH,OW,O] = conv(x[N,H,W,C], w[O,KH,KW,C]) + bias[O] (bias may be null).
template <Backend B>
void conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                    const float* bias, float* y);
// dx[N,H,W,C] = gradient of the loss with respect to x (overwritten).
template <Backend B>
void conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                          float* dx);
// dw[O,KH,KW,C] and dbias[O] (may be null), both overwritten.
template <Backend B>
void conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                            float* dw, float* dbias);

// bfloat16 operands and results, products accumulated in float32 (tensor cores on the GPU), each
// output rounded once. No bias: ResNet's convolutions have none.
template <Backend B>
void conv2d_forward(const Conv2dGeometry& geometry, const bfloat16* x, const bfloat16* w,
                    bfloat16* y);
template <Backend B>
void conv2d_backward_data(const Conv2dGeometry& geometry, const bfloat16* dy, const bfloat16* w,
                          bfloat16* dx);
template <Backend B>
void conv2d_backward_weight(const Conv2dGeometry& geometry, const bfloat16* x, const bfloat16* dy,
                            bfloat16* dw);

}  // namespace ihd::kernels
