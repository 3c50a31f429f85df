// Page-locked host buffers with an event that marks the end of their last copy (see
// pinned_buffer.h).
#include "kernels/cuda/pinned_buffer.h"

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace ihd::kernels::cuda {

PinnedHostBuffer::PinnedHostBuffer(std::size_t bytes) : bytes_(bytes) {
  make_selected_device_current();
  IHD_CUDA_CHECK(cudaMallocHost(&data_, bytes));
  IHD_CUDA_CHECK(cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming));
}

PinnedHostBuffer::~PinnedHostBuffer() {
  cudaEventSynchronize(copied_);
  cudaEventDestroy(copied_);
  cudaFreeHost(data_);
}

void PinnedHostBuffer::copy_to_device(void* device_destination, std::size_t bytes) {
  if (bytes > bytes_) {
    throw CudaError("PinnedHostBuffer::copy_to_device: " + std::to_string(bytes) +
                    " bytes requested from a buffer of " + std::to_string(bytes_));
  }
  IHD_CUDA_CHECK(
      cudaMemcpyAsync(device_destination, data_, bytes, cudaMemcpyHostToDevice, compute_stream()));
  IHD_CUDA_CHECK(cudaEventRecord(copied_, compute_stream()));
}

void PinnedHostBuffer::wait_until_copied() {
  IHD_CUDA_CHECK(cudaEventSynchronize(copied_));
}

}  // namespace ihd::kernels::cuda
