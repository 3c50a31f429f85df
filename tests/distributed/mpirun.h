// What the tests that start tools under mpirun share: the environment mpirun needs here, its
// command line for a number of ranks, and argument lists joined.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

namespace ihd::cli {

// mpirun as root in a container needs these; on 2 cores two ranks oversubscribe OpenMPI's slots.
inline void allow_mpirun_here() {
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
}

inline std::vector<std::string> mpirun(int ranks) {
  return {IHD_MPIEXEC, "-np", std::to_string(ranks), "--oversubscribe"};
}

inline std::vector<std::string> joined(std::vector<std::string> head,
                                       const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace ihd::cli
