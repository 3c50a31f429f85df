// gemm<Backend::cuda> (kernels/gemm.h): row-major GEMM through cuBLAS's column-major cublasGemmEx:
// a row-major [r, c] matrix is a column-major [c, r] one, so C^T[n,m] = op(B)^T[n,k] op(A)^T[k,m]
// with the operands swapped and the same transpose flags.
#include "kernels/gemm.h"

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace ihd::kernels {

template <>
void gemm<Backend::cuda>(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                         float alpha, const float* a, const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  const auto rows_a_stored = static_cast<int>(transpose_a ? m : k);  // leading dim of A
  const auto rows_b_stored = static_cast<int>(transpose_b ? k : n);  // leading dim of B
  const cublasComputeType_t compute =
      cuda::tf32_allowed() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  IHD_CUBLAS_CHECK(cublasGemmEx(cuda::cublas_handle(), transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n),
                                static_cast<int>(m), static_cast<int>(k), &alpha, b, CUDA_R_32F,
                                rows_b_stored, a, CUDA_R_32F, rows_a_stored, &beta, c, CUDA_R_32F,
                                static_cast<int>(n), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace ihd::kernels
