// Checked device allocation and copies on the compute stream (see memory.h).
#include "kernels/cuda/memory.h"

#include <sstream>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace ihd::kernels::cuda {

void* device_allocate(std::size_t bytes) {
  make_selected_device_current();
  void* block = nullptr;
  const cudaError_t status = cudaMalloc(&block, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    std::size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    std::ostringstream message;
    message << "cannot allocate " << bytes << " bytes on the GPU (" << cudaGetErrorString(status)
            << "; " << free_bytes << " of " << total_bytes
            << " bytes free): use a smaller batch or release cached memory";
    throw CudaError(message.str());
  }
  return block;
}

void device_release(void* block) {
  make_selected_device_current();
  IHD_CUDA_CHECK(cudaFree(block));
}

void copy_bytes(void* destination, bool destination_on_device, const void* source,
                bool source_on_device, std::size_t bytes) {
  if (bytes == 0) return;
  const cudaMemcpyKind kind =
      source_on_device ? (destination_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost)
                       : (destination_on_device ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost);
  IHD_CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, kind, compute_stream()));
  if (!destination_on_device) synchronize();
}

int device_count() {
  static const int count = [] {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return devices;
  }();
  return count;
}

std::string device_description(int index) {
  cudaDeviceProp properties{};
  const cudaError_t status = cudaGetDeviceProperties(&properties, index);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("properties unreadable: ") + cudaGetErrorString(status);
  }
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(1);
  text << properties.name << ", " << static_cast<double>(properties.totalGlobalMem) / (1 << 30)
       << " GiB, compute capability " << properties.major << "." << properties.minor;
  return text.str();
}

void fill_zero_bytes(void* block, std::size_t bytes) {
  IHD_CUDA_CHECK(cudaMemsetAsync(block, 0, bytes, compute_stream()));
}

}  // namespace ihd::kernels::cuda
