// The compute stream, library handles, shared workspace and numeric policy (see context.h).
// Each is created on first use, so a program that never touches the GPU never initialises CUDA.
// They live until the process ends and are never destroyed: tensors freed during static
// destruction may still queue work on the stream.
#include "kernels/cuda/context.h"

#include <algorithm>
#include <mutex>

#include "kernels/cuda/check.h"

namespace ihd::kernels::cuda {
namespace {

struct Workspace {
  std::mutex mutex;
  void* block = nullptr;
  std::size_t bytes = 0;
};

bool tf32_allowed_flag = false;
bool deterministic_convolutions_flag = false;

}  // namespace

cudaStream_t compute_stream() {
  static const cudaStream_t stream = [] {
    cudaStream_t created = nullptr;
    IHD_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return stream;
}

cudnnHandle_t cudnn_handle() {
  static const cudnnHandle_t handle = [] {
    cudnnHandle_t created = nullptr;
    IHD_CUDNN_CHECK(cudnnCreate(&created));
    IHD_CUDNN_CHECK(cudnnSetStream(created, compute_stream()));
    return created;
  }();
  return handle;
}

cublasHandle_t cublas_handle() {
  static const cublasHandle_t handle = [] {
    cublasHandle_t created = nullptr;
    IHD_CUBLAS_CHECK(cublasCreate(&created));
    IHD_CUBLAS_CHECK(cublasSetStream(created, compute_stream()));
    IHD_CUBLAS_CHECK(cublasSetPointerMode(created, CUBLAS_POINTER_MODE_HOST));
    return created;
  }();
  return handle;
}

void* workspace(std::size_t bytes) {
  static Workspace* shared = new Workspace;
  std::lock_guard lock(shared->mutex);
  if (bytes > shared->bytes) {
    const std::size_t grown = std::max(bytes, shared->bytes + shared->bytes / 2);
    if (shared->block) IHD_CUDA_CHECK(cudaFree(shared->block));
    shared->block = nullptr;
    shared->bytes = 0;
    IHD_CUDA_CHECK(cudaMalloc(&shared->block, grown));
    shared->bytes = grown;
  }
  return shared->block;
}

int multiprocessor_count() {
  static const int count = [] {
    int device = 0, multiprocessors = 0;
    IHD_CUDA_CHECK(cudaGetDevice(&device));
    IHD_CUDA_CHECK(
        cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    return multiprocessors;
  }();
  return count;
}

void synchronize() {
  IHD_CUDA_CHECK(cudaStreamSynchronize(compute_stream()));
}

void set_tf32_allowed(bool allowed) {
  tf32_allowed_flag = allowed;
}
bool tf32_allowed() {
  return tf32_allowed_flag;
}
void set_deterministic_convolutions(bool deterministic) {
  deterministic_convolutions_flag = deterministic;
}
bool deterministic_convolutions() {
  return deterministic_convolutions_flag;
}

}  // namespace ihd::kernels::cuda
