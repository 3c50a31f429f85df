// The thread line the tools print at start (kernels/cpu/threads.h): the count set, which OpenMP
// and OpenBLAS then share.
#include <doctest/doctest.h>

#include "kernels/cpu/threads.h"

namespace ihd::kernels::cpu {

TEST_CASE("the start line names the CPU thread count that was set") {
  const int before = num_threads();
  set_num_threads(3);
  CHECK(num_threads() == 3);
  CHECK(thread_count_line() == "CPU threads: 3");
  set_num_threads(1);
  CHECK(thread_count_line() == "CPU threads: 1");
  set_num_threads(before);
}

}  // namespace ihd::kernels::cpu
