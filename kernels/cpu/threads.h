// Thread count of the CPU backend: OpenMP loops and the BLAS library follow one setting.
#pragma once

namespace ihd::kernels::cpu {

void set_num_threads(int threads);
int num_threads();

}  // namespace ihd::kernels::cpu
