// Error checking for every CUDA runtime, cuDNN and cuBLAS call, and for kernel launches. A failed
// call throws kernels::cuda::CudaError whose message names the library, the function called and
// the library's own description of the status, and what to do (error_message.h); the file and
// line of the call are not in it: with IHD_DEBUG=1 in the environment they go to stderr as a
// "debug:" line just before the throw, for developers:
//   IHD_CUDA_CHECK(cudaMalloc(&block, bytes));
//   my_kernel<<<blocks, threads, 0, stream>>>(...); IHD_CUDA_CHECK_LAUNCH();
// Host-side header: include it from .cu and .cpp files of kernels/cuda only.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

#include "common/error.h"

namespace ihd::kernels::cuda {

// An ihd::Error, so that every tool reports a failed CUDA call like any other failure.
class CudaError : public Error {
 public:
  using Error::Error;
};

// Builds the message, prints the debug line where IHD_DEBUG is set, and throws CudaError.
[[noreturn]] void throw_cuda_error(const char* library, const char* call, const char* description,
                                   int status, const char* file, int line);

}  // namespace ihd::kernels::cuda

#define IHD_CUDA_CHECK(call)                                                                    \
  do {                                                                                          \
    const cudaError_t ihd_status = (call);                                                      \
    if (ihd_status != cudaSuccess) {                                                            \
      ::ihd::kernels::cuda::throw_cuda_error("CUDA", #call, cudaGetErrorString(ihd_status),     \
                                             static_cast<int>(ihd_status), __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)

// After every kernel launch: reports a bad launch configuration (or an earlier asynchronous
// error) at the launch site instead of at some later, unrelated call.
#define IHD_CUDA_CHECK_LAUNCH()                                                                  \
  do {                                                                                           \
    const cudaError_t ihd_status = cudaGetLastError();                                           \
    if (ihd_status != cudaSuccess) {                                                             \
      ::ihd::kernels::cuda::throw_cuda_error("CUDA", "a kernel launch",                          \
                                             cudaGetErrorString(ihd_status),                     \
                                             static_cast<int>(ihd_status), __FILE__, __LINE__);  \
    }                                                                                            \
  } while (0)

#define IHD_CUDNN_CHECK(call)                                                                   \
  do {                                                                                          \
    const cudnnStatus_t ihd_status = (call);                                                    \
    if (ihd_status != CUDNN_STATUS_SUCCESS) {                                                   \
      ::ihd::kernels::cuda::throw_cuda_error("cuDNN", #call, cudnnGetErrorString(ihd_status),   \
                                             static_cast<int>(ihd_status), __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)

#define IHD_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                           \
    const cublasStatus_t ihd_status = (call);                                                    \
    if (ihd_status != CUBLAS_STATUS_SUCCESS) {                                                   \
      ::ihd::kernels::cuda::throw_cuda_error("cuBLAS", #call, cublasGetStatusString(ihd_status), \
                                             static_cast<int>(ihd_status), __FILE__, __LINE__);  \
    }                                                                                            \
  } while (0)
