// Keeps OpenMP and OpenBLAS on the same thread count.
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

}  // namespace ihd::kernels::cpu
