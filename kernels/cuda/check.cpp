// The one place CUDA, cuDNN and cuBLAS failures become exceptions (see check.h).
#include "kernels/cuda/check.h"

#include <sstream>

namespace ihd::kernels::cuda {

void throw_cuda_error(const char* library, const char* expression, const char* description,
                      int status, const char* file, int line) {
  std::ostringstream message;
  message << library << " error " << status << " (" << description << ") in " << expression
          << " at " << file << ":" << line;
  throw CudaError(message.str());
}

}  // namespace ihd::kernels::cuda
