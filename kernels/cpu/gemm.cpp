// gemm<Backend::cpu> (kernels/gemm.h) over cblas_sgemm, with the leading dimensions of contiguous
// row-major matrices.
#include "kernels/gemm.h"

#include <cblas.h>

namespace ihd::kernels {

template <>
void gemm<Backend::cpu>(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                        float alpha, const float* a, const float* b, float beta, float* c) {
  const auto lda = static_cast<blasint>(transpose_a ? m : k);
  const auto ldb = static_cast<blasint>(transpose_b ? k : n);
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a, lda, b, ldb, beta, c,
              static_cast<blasint>(n));
}

}  // namespace ihd::kernels
