// Linear layer as BLAS GEMMs (forward one, backward two); the bias gradient is a column sum.
#include "kernels/cpu/linear.h"

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gemm.h"

namespace ihd::kernels::cpu {

void linear_forward(int batch, int in_features, int out_features, const float* x, const float* w,
                    const float* bias, float* y) {
  gemm(false, true, batch, out_features, in_features, 1.0f, x, w, 0.0f, y);
  if (!bias) return;
  for (int n = 0; n < batch; ++n) {
    for (int o = 0; o < out_features; ++o) y[static_cast<long>(n) * out_features + o] += bias[o];
  }
}

void linear_backward(int batch, int in_features, int out_features, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* dbias) {
  if (dx) gemm(false, false, batch, in_features, out_features, 1.0f, dy, w, 0.0f, dx);
  gemm(true, false, out_features, in_features, batch, 1.0f, dy, x, 0.0f, dw);
  if (dbias) column_sum(batch, out_features, dy, dbias);
}

}  // namespace ihd::kernels::cpu
