// The fast CPU convolution: oneDNN (the library behind PyTorch's CPU convolutions), on our NHWC
// activations and OHWI weights as they are, with the contract of kernels/conv2d.h.
// Each function returns false, having done nothing, when oneDNN offers no implementation for the
// geometry (or, for the weight gradient of a strided 1x1 convolution, one that is wrong on AVX2
// CPUs: see the function); the caller then runs the reference (kernels/cpu/conv2d_reference.h).
// Not reentrant across threads that share a geometry cache: call from one thread at a time (the
// engine does); oneDNN threads each call itself over the OpenMP thread count.
#pragma once

#include <cstddef>

#include "kernels/bfloat16.h"
#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

bool onednn_conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                           const float* bias, float* y);
bool onednn_conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                                 float* dx);
bool onednn_conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                                   float* dw, float* dbias);
// bfloat16 operands and results through oneDNN's bfloat16 primitives (float32 accumulation, each
// result rounded once), where it has an optimised kernel for them (AVX-512 with avx512_bf16 or
// AMX, or its AVX-512 emulation); false elsewhere (AVX2), as for float32.
// Whether oneDNN has an optimised bfloat16 convolution on this CPU (a ResNet 3x3 layer's): with
// avx512_bf16 or AMX, or emulated on other AVX-512 CPUs.
bool onednn_has_bfloat16_convolutions();
// Whether the CPU has bfloat16 instructions (avx512_bf16 or AMX), without which oneDNN's
// bfloat16 kernels emulate them.
bool onednn_has_bfloat16_instructions();
bool onednn_conv2d_forward(const Conv2dGeometry& geometry, const bfloat16* x, const bfloat16* w,
                           bfloat16* y);
bool onednn_conv2d_backward_data(const Conv2dGeometry& geometry, const bfloat16* dy,
                                 const bfloat16* w, bfloat16* dx);
bool onednn_conv2d_backward_weight(const Conv2dGeometry& geometry, const bfloat16* x,
                                   const bfloat16* dy, bfloat16* dw);

// Prepared weights for conv2d_forward_fused (kernels/conv2d.h): a header naming a oneDNN layout
// and element type, then the weights in it. Preparation always succeeds (the layout is plain OHWI
// where oneDNN has no primitive for the geometry and type).
std::size_t onednn_prepared_weights_bytes(const Conv2dGeometry& geometry, bool bfloat16_weights);
void onednn_prepare_weights(const Conv2dGeometry& geometry, const float* w, void* prepared);
void onednn_prepare_weights(const Conv2dGeometry& geometry, const bfloat16* w, void* prepared);
// The prepared weights as OHWI of T (float or bfloat16), for the reference: their own bytes, or a
// reorder into a buffer that lives until the next call on this thread.
template <typename T>
const T* onednn_prepared_as_ohwi(const Conv2dGeometry& geometry, const void* prepared);
bool onednn_conv2d_forward_fused(const Conv2dGeometry& geometry, const float* x,
                                 const void* prepared_w, const float* bias, const float* residual,
                                 bool relu, float* y);
bool onednn_conv2d_forward_fused(const Conv2dGeometry& geometry, const bfloat16* x,
                                 const void* prepared_w, const float* bias,
                                 const bfloat16* residual, bool relu, bfloat16* y);

}  // namespace ihd::kernels::cpu
