// Keeps OpenMP and OpenBLAS on the same thread count, and reports it.
#include "kernels/cpu/threads.h"

#include <cblas.h>
#include <omp.h>

namespace ihd::kernels::cpu {

void set_num_threads(int threads) {
  if (threads < 1) threads = 1;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int num_threads() {
  return omp_get_max_threads();
}

std::string thread_count_line() {
  const int threads = num_threads();
  std::string line = "CPU threads: " + std::to_string(threads);
  const int blas_threads = openblas_get_num_threads();
  if (blas_threads != threads) line += " (OpenBLAS " + std::to_string(blas_threads) + ")";
  return line;
}

}  // namespace ihd::kernels::cpu
