// The CPU backend's thread count (kernels/cpu/threads.h): the count set is the one OpenMP and
// OpenBLAS then share.
#include <cblas.h>
#include <doctest/doctest.h>

#include "kernels/cpu/threads.h"

namespace ihd::kernels::cpu {

TEST_CASE("the thread count set is OpenMP's and OpenBLAS's") {
  const int before = num_threads();
  set_num_threads(3);
  CHECK(num_threads() == 3);
  CHECK(openblas_get_num_threads() == 3);
  set_num_threads(1);
  CHECK(num_threads() == 1);
  CHECK(openblas_get_num_threads() == 1);
  set_num_threads(before);
}

}  // namespace ihd::kernels::cpu
