// The <Backend::cpu> specializations of kernels/linear.h: the layer as BLAS GEMMs (forward one,
// backward two); the bias gradient is a column sum.
#include "kernels/linear.h"

#include "kernels/elementwise.h"
#include "kernels/gemm.h"

namespace ihd::kernels {

template <>
void linear_forward<Backend::cpu>(int batch, int in_features, int out_features, const float* x,
                                  const float* w, const float* bias, float* y) {
  gemm<Backend::cpu>(false, true, batch, out_features, in_features, 1.0f, x, w, 0.0f, y);
  if (!bias) return;
  for (int n = 0; n < batch; ++n) {
    for (int o = 0; o < out_features; ++o) y[static_cast<long>(n) * out_features + o] += bias[o];
  }
}

template <>
void linear_backward<Backend::cpu>(int batch, int in_features, int out_features, const float* x,
                                   const float* w, const float* dy, float* dx, float* dw,
                                   float* dbias) {
  if (dx) gemm<Backend::cpu>(false, false, batch, in_features, out_features, 1.0f, dy, w, 0.0f, dx);
  gemm<Backend::cpu>(true, false, out_features, in_features, batch, 1.0f, dy, x, 0.0f, dw);
  if (dbias) column_sum<Backend::cpu>(batch, out_features, dy, dbias);
}

}  // namespace ihd::kernels
