// Row-major single-precision matrix multiply on the CPU, through the BLAS library:
// C[m,n] = alpha * op(A) op(B) + beta * C, where op(A) is [m,k] and op(B) is [k,n].
#pragma once

#include <cstdint>

namespace ihd::kernels::cpu {

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);

}  // namespace ihd::kernels::cpu
