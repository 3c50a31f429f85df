// Linear layer on the GPU: the products through cuBLAS (gemm.h), the bias by a broadcast add over
// rows, and its gradient by the deterministic column sum (elementwise.h).
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/linear.h"

namespace ihd::kernels::cuda {

void linear_forward(int batch, int in_features, int out_features, const float* x, const float* w,
                    const float* bias, float* y) {
  gemm(false, true, batch, out_features, in_features, 1.0f, x, w, 0.0f, y);
  if (!bias) return;
  for_each_index(static_cast<int64_t>(batch) * out_features,
                 [=] __device__(int64_t i) { y[i] += bias[i % out_features]; });
}

void linear_backward(int batch, int in_features, int out_features, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* dbias) {
  if (dx) gemm(false, false, batch, in_features, out_features, 1.0f, dy, w, 0.0f, dx);
  gemm(true, false, out_features, in_features, batch, 1.0f, dy, x, 0.0f, dw);
  if (dbias) column_sum(batch, out_features, dy, dbias);
}

}  // namespace ihd::kernels::cuda
