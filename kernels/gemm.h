// Row-major single-precision matrix multiply, declared once for both backends (backend.h):
// C[m,n] = alpha * op(A) op(B) + beta * C, where op(A) is [m,k] and op(B) is [k,n]. The CPU calls
// the BLAS library; CUDA calls cuBLAS, true float32 unless TF32 is allowed (cuda/context.h).
#pragma once

#include <cstdint>

#include "kernels/backend.h"

namespace ihd::kernels {

template <Backend B>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);

}  // namespace ihd::kernels
