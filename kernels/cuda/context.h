// The CUDA backend's process-wide state: one compute stream on which every kernel, copy and
// library call runs in order, the cuDNN and cuBLAS handles bound to it (created on first use), one
// shared growing workspace, and the numeric policy of the library calls. Everything runs on the
// process's one GPU (select_device in memory.h; cuda:0 unless something selected another before
// the backend's first use); kernels take no device index.
// Host-side header for kernels/cuda sources and the tests and benchmarks of this backend.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>

namespace ihd::kernels::cuda {

// Makes the process's GPU the calling host thread's current device (the CUDA runtime keeps one
// per thread), selecting cuda:0 if nothing has selected a GPU yet. Cheap after the first call on
// a thread; every entry point of the backend calls it before touching the GPU.
void make_selected_device_current();

cudaStream_t compute_stream();
cudnnHandle_t cudnn_handle();
cublasHandle_t cublas_handle();

// Scratch memory of at least `bytes`, valid on the compute stream until the next call. Grows (and
// never shrinks) as needed; growing synchronises the device, so steady-state steps never do.
void* workspace(std::size_t bytes);

// Multiprocessor count of the current device (for grid sizes of persistent-style kernels).
int multiprocessor_count();

// Waits for all work queued on the compute stream.
void synchronize();

// Numeric policy of cuDNN convolutions and cuBLAS products in float32. By default both compute in
// true float32 (FMA math, no TF32), so that results match the CPU twins to about 1e-10 normalised
// error; allowing TF32 uses tensor cores (about 1e-6). Algorithms are cached per policy.
void set_tf32_allowed(bool allowed);
bool tf32_allowed();
// Restricts cuDNN to deterministic algorithms (bitwise-repeatable weight gradients). Off by
// default: the fastest algorithm wins.
void set_deterministic_convolutions(bool deterministic);
bool deterministic_convolutions();

}  // namespace ihd::kernels::cuda
