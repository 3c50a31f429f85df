// The reference CPU convolution (im2col + BLAS GEMM), with the contract of kernels/conv2d.h.
// conv2d.cpp falls back to it where oneDNN is absent or lacks a geometry; tests compare the fast
// path against it.
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

void conv2d_forward_reference(const Conv2dGeometry& geometry, const float* x, const float* w,
                              const float* bias, float* y);
void conv2d_backward_data_reference(const Conv2dGeometry& geometry, const float* dy, const float* w,
                                    float* dx);
void conv2d_backward_weight_reference(const Conv2dGeometry& geometry, const float* x,
                                      const float* dy, float* dw, float* dbias);

}  // namespace ihd::kernels::cpu
