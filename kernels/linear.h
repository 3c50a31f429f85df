// Fully connected layer, declared once for both backends (backend.h):
// y[N,out] = x[N,in] * w[out,in]^T + bias[out], the products through gemm.h.
#pragma once

#include "kernels/backend.h"

namespace ihd::kernels {

template <Backend B>
void linear_forward(int batch, int in_features, int out_features, const float* x, const float* w,
                    const float* bias, float* y);
// dx (may be null), dw and dbias (may be null) are overwritten.
template <Backend B>
void linear_backward(int batch, int in_features, int out_features, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* dbias);

}  // namespace ihd::kernels
