// Device memory for the engine (engine/storage.cpp, engine/device.cpp, engine/tensor.cpp): raw
// allocation, copies between host and device, zero fill, the device count and each device's
// description (for --version). Plain C++ so that
// engine sources include it without CUDA headers. The engine's caching allocator sits above
// device_allocate, so these are thin checked wrappers.
#pragma once

#include <cstddef>
#include <string>

namespace ihd::kernels::cuda {

// cudaMalloc, checked; the error names the request and the free memory.
void* device_allocate(std::size_t bytes);
void device_release(void* block);
// Copies in order on the compute stream. A copy to the host waits for it, so the host can read
// the bytes at once; a copy from pageable host memory returns once the source may be reused.
// Copies from pinned memory (PinnedHostBuffer) return at once: see pinned_buffer.h.
void copy_bytes(void* destination, bool destination_on_device, const void* source,
                bool source_on_device, std::size_t bytes);
// Number of usable GPUs; 0 (never an error) when there is no GPU or no driver.
int device_count();
// "NVIDIA H200, 139.8 GiB, compute capability 9.0" for GPU `index` (below device_count()), or
// the CUDA error that stopped its properties from being read.
std::string device_description(int index);
// One GPU per process: the first call (or, failing that, the backend's first use, which takes
// cuda:0) selects the GPU that the stream, handles and all allocations live on. Throws CudaError
// for an index that is not below device_count(), and for a later call with another index.
void select_device(int index);
// The selected GPU's index; -1 while none is selected.
int selected_device();
// Sets `bytes` bytes of device memory to zero, in order on the compute stream.
void fill_zero_bytes(void* block, std::size_t bytes);

}  // namespace ihd::kernels::cuda
