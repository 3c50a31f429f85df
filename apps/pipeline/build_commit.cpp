// build_commit(): the commit this binary was built from, from the header cmake/WriteCommit.cmake
// regenerates at every build (see apps/pipeline/CMakeLists.txt).
#include "apps/pipeline/run_config.h"
#include "git_commit.h"

namespace ihd::pipeline {

std::string build_commit() {
  return IHD_GIT_COMMIT;
}

}  // namespace ihd::pipeline
