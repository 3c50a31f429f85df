// Thread count of the CPU backend: OpenMP loops and the BLAS library follow one setting (the
// tools' start lines say how many threads that is: apps/pipeline/compute_description.h).
#pragma once

namespace ihd::kernels::cpu {

void set_num_threads(int threads);
int num_threads();

}  // namespace ihd::kernels::cpu
