// The one place CUDA, cuDNN and cuBLAS failures become exceptions (see check.h).
#include "kernels/cuda/check.h"

#include <cstdio>
#include <cstdlib>

#include "kernels/cuda/error_message.h"

namespace ihd::kernels::cuda {

void throw_cuda_error(const char* library, const char* call, const char* description, int status,
                      const char* file, int line) {
  const std::string message =
      cuda_error_message(library, call, description ? description : "", status);
  if (const char* debug = std::getenv("IHD_DEBUG"); debug && *debug && *debug != '0') {
    std::fprintf(stderr, "debug: %s %s failed at %s:%d\n", library, call, file, line);
  }
  throw CudaError(message);
}

}  // namespace ihd::kernels::cuda
