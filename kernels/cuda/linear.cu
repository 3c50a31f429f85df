// The <Backend::cuda> specializations of kernels/linear.h. Linear layer on the GPU: the products
// through cuBLAS (gemm.h), the bias by a broadcast add over rows, and its gradient by the
// deterministic column sum (elementwise.h).
#include "kernels/cuda/launch.cuh"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/linear.h"

namespace ihd::kernels {

template <>
void linear_forward<Backend::cuda>(int batch, int in_features, int out_features, const float* x,
                                   const float* w, const float* bias, float* y) {
  gemm<Backend::cuda>(false, true, batch, out_features, in_features, 1.0f, x, w, 0.0f, y);
  if (!bias) return;
  cuda::for_each_index(static_cast<int64_t>(batch) * out_features,
                       [=] __device__(int64_t i) { y[i] += bias[i % out_features]; });
}

template <>
void linear_backward<Backend::cuda>(int batch, int in_features, int out_features, const float* x,
                                    const float* w, const float* dy, float* dx, float* dw,
                                    float* dbias) {
  if (dx)
    gemm<Backend::cuda>(false, false, batch, in_features, out_features, 1.0f, dy, w, 0.0f, dx);
  gemm<Backend::cuda>(true, false, out_features, in_features, batch, 1.0f, dy, x, 0.0f, dw);
  if (dbias) column_sum<Backend::cuda>(batch, out_features, dy, dbias);
}

}  // namespace ihd::kernels
