// The message of a failed CUDA, cuDNN or cuBLAS call (kernels/cuda/error_message.h): library,
// function, reason and what to do on one line, never the source location. Built with or without
// CUDA.
#include <doctest/doctest.h>

#include <string>

#include "kernels/cuda/error_message.h"

namespace ihd::kernels::cuda {
namespace {

constexpr const char* kOutOfMemoryHint =
    "the GPU's memory is full: use a smaller --batch, or free the GPU (nvidia-smi lists what "
    "holds it)";
constexpr const char* kGeneralHint =
    "check the GPU and its driver with nvidia-smi, or run on the CPU with --device cpu; "
    "IHD_DEBUG=1 prints where it failed";

TEST_CASE("a failed CUDA call names the library, the function, the reason and what to do") {
  CHECK(cuda_error_message("CUDA", "cudaMalloc(&block, bytes)", "out of memory", 2) ==
        std::string("CUDA error in cudaMalloc: out of memory (status 2); ") + kOutOfMemoryHint);
  CHECK(cuda_error_message("cuDNN", "cudnnConvolutionForward(handle(), &alpha, x, w)",
                           "CUDNN_STATUS_BAD_PARAM", 3) ==
        std::string("cuDNN error in cudnnConvolutionForward: CUDNN_STATUS_BAD_PARAM (status 3); ") +
            kGeneralHint);
  CHECK(cuda_error_message("cuBLAS", "cublasSgemm(handle, ...)", "CUBLAS_STATUS_ALLOC_FAILED", 3) ==
        std::string("cuBLAS error in cublasSgemm: CUBLAS_STATUS_ALLOC_FAILED (status 3); ") +
            kOutOfMemoryHint);
  CHECK(cuda_error_message("CUDA", "a kernel launch", "invalid configuration argument", 9) ==
        std::string("CUDA error in a kernel launch: invalid configuration argument (status 9); ") +
            kGeneralHint);
  CHECK(cuda_error_message("cuBLAS", "  ", "", 7) ==
        std::string("cuBLAS error in a call: no reason given (status 7); ") + kGeneralHint);
}

TEST_CASE("the message of a failed CUDA call holds no source location") {
  const std::string message = cuda_error_message(
      "CUDA", "cudaMemcpyAsync(destination, source, bytes, kind, stream())", "invalid argument", 1);
  CHECK(message.find(".cpp") == std::string::npos);
  CHECK(message.find(".cu:") == std::string::npos);
  CHECK(message.find(" at ") == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

}  // namespace
}  // namespace ihd::kernels::cuda
