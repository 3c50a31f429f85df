// 2-D convolution: NHWC input, OHWI weights (cuDNN's NHWC filter format, KRSC), NHWC output,
// square stride and padding, no dilation or groups (ResNet needs neither). Declared once for both
// backends (backend.h). The CPU runs on oneDNN when the build has it (cpu/conv2d_onednn.h), else
// on im2col + BLAS GEMM (cpu/conv2d_reference.h); CUDA runs on cuDNN, the algorithm of each shape
// and direction chosen once (cudnnFind) and cached. All meet this contract.
#pragma once

#include <cstddef>

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

// Inference with weights prepared once (the engine's folded batch norm: engine/ops.h). The
// prepared form is opaque to callers: conv2d_prepare_weights writes w[O,KH,KW,C] into `prepared`
// (the `bytes` that conv2d_prepared_weights_bytes sets; 64-byte alignment reads fastest) in the
// layout this backend's forward reads fastest for the geometry (a oneDNN blocked layout, named in a
// header; OHWI as it is elsewhere). conv2d_forward_fused takes weights prepared for its own
// geometry and element type (the layout may depend on the batch and map size: the CPU checks the
// header, reorders where oneDNN can and throws ihd::Error where it cannot) and never reorders
// those; prepare again when w changes. `bfloat16_weights`: the size of weights prepared for the
// bfloat16 forward below (from bfloat16 weights), else for the float32 one.
template <Backend B>
void conv2d_prepared_weights_bytes(const Conv2dGeometry& geometry, bool bfloat16_weights,
                                   std::size_t* bytes);
template <Backend B>
void conv2d_prepare_weights(const Conv2dGeometry& geometry, const float* w, void* prepared);
template <Backend B>
void conv2d_prepare_weights(const Conv2dGeometry& geometry, const bfloat16* w, void* prepared);
// y = conv(x, w) + bias[O] (+ residual[N,OH,OW,O] when not null), then max(0, .) when relu: one
// pass where the backend fuses them (oneDNN post-ops: sum, eltwise_relu), else the convolution
// with its bias followed by the add and the ReLU in place. y aliases neither x nor residual.
template <Backend B>
void conv2d_forward_fused(const Conv2dGeometry& geometry, const float* x, const void* prepared_w,
                          const float* bias, const float* residual, bool relu, float* y);
// The same in bfloat16 (x, prepared weights, residual and y; the bias float32): the products
// accumulated in float32 with the bias, the residual and the ReLU, each output rounded once on the
// CPU (oneDNN's bfloat16 post-ops, or the widened reference); the GPU rounds the convolution once
// more before its tail (cuDNN's bfloat16 convolutions write bfloat16).
template <Backend B>
void conv2d_forward_fused(const Conv2dGeometry& geometry, const bfloat16* x, const void* prepared_w,
                          const float* bias, const bfloat16* residual, bool relu, bfloat16* y);

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
