// The process's GPU, the compute stream, library handles, shared workspace and numeric policy
// (see context.h; select_device is declared in memory.h). Each is created on first use, so a
// program that never touches the GPU never initialises CUDA. They live until the process ends and
// are never destroyed: tensors freed during static destruction may still queue work on the stream.
#include "kernels/cuda/context.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/memory.h"

namespace ihd::kernels::cuda {
namespace {

constexpr int kNoDevice = -1;
std::atomic<int> selected_device_index{kNoDevice};

void check_device_index(int index) {
  const int count = device_count();
  if (index >= 0 && index < count) return;
  const std::string seen =
      count == 0 ? "no usable CUDA GPU (or no NVIDIA driver)"
                 : std::to_string(count) + " CUDA GPU" + (count == 1 ? "" : "s") + " (cuda:0" +
                       (count == 1 ? "" : " to cuda:" + std::to_string(count - 1)) + ")";
  throw CudaError("there is no cuda:" + std::to_string(index) + ": this process sees " + seen +
                  "; CUDA_VISIBLE_DEVICES may hide others");
}

// Selects `index` unless a GPU is selected already; returns the selected GPU either way.
int claim_device(int index) {
  int selected = kNoDevice;
  selected_device_index.compare_exchange_strong(selected, index);
  return selected == kNoDevice ? index : selected;
}

struct Workspace {
  std::mutex mutex;
  void* block = nullptr;
  std::size_t bytes = 0;
};

bool tf32_allowed_flag = false;
bool deterministic_convolutions_flag = false;

}  // namespace

void select_device(int index) {
  check_device_index(index);
  const int selected = claim_device(index);
  if (selected != index) {
    throw CudaError("this process uses cuda:" + std::to_string(selected) +
                    " and cannot use cuda:" + std::to_string(index) +
                    " as well: ihd runs on one GPU per process (start one process per GPU)");
  }
  make_selected_device_current();
}

int selected_device() {
  return selected_device_index.load();
}

void make_selected_device_current() {
  thread_local bool current = false;
  if (current) return;
  int selected = selected_device_index.load();
  if (selected == kNoDevice) {
    check_device_index(0);
    selected = claim_device(0);
  }
  IHD_CUDA_CHECK(cudaSetDevice(selected));
  current = true;
}

cudaStream_t compute_stream() {
  make_selected_device_current();
  static const cudaStream_t stream = [] {
    cudaStream_t created = nullptr;
    IHD_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return stream;
}

cudnnHandle_t cudnn_handle() {
  make_selected_device_current();
  static const cudnnHandle_t handle = [] {
    cudnnHandle_t created = nullptr;
    IHD_CUDNN_CHECK(cudnnCreate(&created));
    IHD_CUDNN_CHECK(cudnnSetStream(created, compute_stream()));
    return created;
  }();
  return handle;
}

cublasHandle_t cublas_handle() {
  make_selected_device_current();
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
  make_selected_device_current();
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
  make_selected_device_current();
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
