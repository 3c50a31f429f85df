// The fast CPU convolution: oneDNN (the library behind PyTorch's CPU convolutions), on our NHWC
// activations and OHWI weights as they are, with the contract of kernels/conv2d.h.
// Each function returns false, having done nothing, when oneDNN offers no implementation for the
// geometry (or, for the weight gradient of a strided 1x1 convolution, one that is wrong on AVX2
// CPUs: see the function); the caller then runs the reference (kernels/cpu/conv2d_reference.h).
// Not reentrant across threads that share a geometry cache: call from one thread at a time (the
// engine does); oneDNN threads each call itself over the OpenMP thread count.
#pragma once

#include <cstddef>

#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

bool onednn_conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                           const float* bias, float* y);
bool onednn_conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                                 float* dx);
bool onednn_conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                                   float* dw, float* dbias);

// Prepared weights for conv2d_forward_fused (kernels/conv2d.h): a header naming a oneDNN layout,
// then the weights in it. Preparation always succeeds (the layout is plain OHWI where oneDNN has
// no primitive for the geometry).
std::size_t onednn_prepared_weights_bytes(const Conv2dGeometry& geometry);
void onednn_prepare_weights(const Conv2dGeometry& geometry, const float* w, void* prepared);
// The prepared weights as OHWI, for the reference: their own bytes, or a reorder into a buffer
// that lives until the next call on this thread.
const float* onednn_prepared_as_ohwi(const Conv2dGeometry& geometry, const void* prepared);
bool onednn_conv2d_forward_fused(const Conv2dGeometry& geometry, const float* x,
                                 const void* prepared_w, const float* bias, const float* residual,
                                 bool relu, float* y);

}  // namespace ihd::kernels::cpu
