// The reference CPU convolution (im2col + BLAS GEMM), with the contract of kernels/conv2d.h.
// conv2d.cpp falls back to it where oneDNN is absent or lacks a geometry; tests compare the fast
// path against it.
#pragma once

#include "kernels/bfloat16.h"
#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

void conv2d_forward_reference(const Conv2dGeometry& geometry, const float* x, const float* w,
                              const float* bias, float* y);
void conv2d_backward_data_reference(const Conv2dGeometry& geometry, const float* dy, const float* w,
                                    float* dx);
void conv2d_backward_weight_reference(const Conv2dGeometry& geometry, const float* x,
                                      const float* dy, float* dw, float* dbias);

// The bfloat16 fallback where oneDNN has no bfloat16 kernel (cpu/mixed_precision.cpp), the
// widen-compute-round path: operands widened to float32, the float32
// convolution of conv2d.h, each result rounded once to bfloat16.
void conv2d_forward_widened(const Conv2dGeometry& geometry, const bfloat16* x, const bfloat16* w,
                            bfloat16* y);
void conv2d_backward_data_widened(const Conv2dGeometry& geometry, const bfloat16* dy,
                                  const bfloat16* w, bfloat16* dx);
void conv2d_backward_weight_widened(const Conv2dGeometry& geometry, const bfloat16* x,
                                    const bfloat16* dy, bfloat16* dw);
// y = relu(conv(x, w) + bias + residual) (residual may be null; ReLU when `relu`), w OHWI: all in
// float32 on the widened operands, each output rounded once.
void conv2d_forward_fused_widened(const Conv2dGeometry& geometry, const bfloat16* x,
                                  const bfloat16* w, const float* bias, const bfloat16* residual,
                                  bool relu, bfloat16* y);

}  // namespace ihd::kernels::cpu
