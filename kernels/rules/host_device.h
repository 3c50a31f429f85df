// IHD_HOST_DEVICE marks a function that both backends call: __host__ __device__ when nvcc
// compiles the file, nothing for the C++ compiler. The per-element rules of kernels/rules/ are
// written once with it, inline, so that a CPU loop (still vectorised: the call is inlined) and a
// CUDA kernel compute the same element with the same arithmetic.
#pragma once

#ifdef __CUDACC__
#define IHD_HOST_DEVICE __host__ __device__
#else
#define IHD_HOST_DEVICE
#endif
