// Thread count of the CPU backend: OpenMP loops and the BLAS library follow one setting, and
// ihd_train and ihd_predict say at start how many threads that is.
#pragma once

#include <string>

namespace ihd::kernels::cpu {

void set_num_threads(int threads);
int num_threads();

// The line a tool prints at start: "CPU threads: 2" (OpenMP's count: ihd_train's --threads, else
// OMP_NUM_THREADS, else every core), naming OpenBLAS's own count where it differs.
std::string thread_count_line();

}  // namespace ihd::kernels::cpu
