// Fully connected layer on the GPU: y[N,out] = x[N,in] * w[out,in]^T + bias[out], through
// cuBLAS. Same contracts as kernels/cpu/linear.h; pointers are device pointers.
#pragma once

namespace ihd::kernels::cuda {

void linear_forward(int batch, int in_features, int out_features, const float* x, const float* w,
                    const float* bias, float* y);
// dx (may be null), dw and dbias (may be null) are overwritten.
void linear_backward(int batch, int in_features, int out_features, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* dbias);

}  // namespace ihd::kernels::cuda
