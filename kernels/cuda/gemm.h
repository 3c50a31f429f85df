// Row-major single-precision matrix multiply on the GPU through cuBLAS: C[m,n] = alpha op(A)
// op(B) + beta C. Row-major C is column-major C^T, so the call computes C^T = op(B)^T op(A)^T.
// True float32 unless TF32 is allowed (context.h). Pointers are device pointers.
#pragma once

#include <cstdint>

namespace ihd::kernels::cuda {

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);

}  // namespace ihd::kernels::cuda
