// PinnedHostBuffer: page-locked host memory for input batches, so that the copy of batch k+1 to
// the GPU overlaps the training step of batch k. The data loader fills data(), calls
// copy_to_device(), and before refilling calls wait_until_copied(). Host-side header.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace ihd::kernels::cuda {

class PinnedHostBuffer {
 public:
  explicit PinnedHostBuffer(std::size_t bytes);
  ~PinnedHostBuffer();
  PinnedHostBuffer(const PinnedHostBuffer&) = delete;
  PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

  // Queues a copy of the first `bytes` bytes to `device_destination` on the compute stream and
  // returns at once; kernels queued later on the stream see the data.
  void copy_to_device(void* device_destination, std::size_t bytes);
  // Blocks until the last queued copy has read the buffer, so that it may be refilled.
  void wait_until_copied();

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  cudaEvent_t copied_ = nullptr;
};

}  // namespace ihd::kernels::cuda
