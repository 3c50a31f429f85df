// What the hand-written kernels share: grid sizes for grid-stride loops, a launcher that runs a
// device lambda once per index on the compute stream (and checks the launch), and a block-wide
// sum in double whose order of additions is fixed, so that reductions are deterministic.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace ihd::kernels::cuda {

constexpr int kThreadsPerBlock = 256;
// Resident blocks of kThreadsPerBlock threads per multiprocessor on sm_80 and sm_90 (2048 threads).
constexpr int kBlocksPerMultiprocessor = 2048 / kThreadsPerBlock;

// Blocks for a grid-stride loop over `items`: enough to fill the GPU once, no more than needed.
inline unsigned int grid_stride_blocks(int64_t items) {
  const int64_t needed = (items + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const int64_t resident = static_cast<int64_t>(multiprocessor_count()) * kBlocksPerMultiprocessor;
  return static_cast<unsigned int>(std::max<int64_t>(1, std::min(needed, resident)));
}

template <typename Body>
__global__ void for_each_index_kernel(int64_t n, Body body) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    body(i);
  }
}

// Runs body(i) for every i in [0, n) on the compute stream: for_each_index(n, [=] __device__
// (int64_t i) { out[i] = ...; });
template <typename Body>
void for_each_index(int64_t n, Body body) {
  if (n <= 0) return;
  for_each_index_kernel<<<grid_stride_blocks(n), kThreadsPerBlock, 0, compute_stream()>>>(n, body);
  IHD_CUDA_CHECK_LAUNCH();
}

// Sum of `value` over the block (blockDim.x == kThreadsPerBlock, one-dimensional), in a fixed
// tree order; every thread gets the result. Every thread of the block must call it.
__device__ inline double block_sum(double value) {
  __shared__ double partial[kThreadsPerBlock];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreadsPerBlock / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();
  return total;
}

}  // namespace ihd::kernels::cuda
