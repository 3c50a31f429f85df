// The fast CPU convolution: oneDNN (the library behind PyTorch's CPU convolutions), on our NHWC
// activations and OHWI weights as they are, with the contract of kernels/conv2d.h.
// Each function returns false, having done nothing, when oneDNN offers no implementation for the
// geometry (or, for the weight gradient of a strided 1x1 convolution, one that is wrong on AVX2
// CPUs: see the function); the caller then runs the reference (kernels/cpu/conv2d_reference.h).
// Not reentrant across threads that share a geometry cache: call from one thread at a time (the
// engine does); oneDNN threads each call itself over the OpenMP thread count.
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

bool onednn_conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                           const float* bias, float* y);
bool onednn_conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                                 float* dx);
bool onednn_conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                                   float* dw, float* dbias);

}  // namespace ihd::kernels::cpu
