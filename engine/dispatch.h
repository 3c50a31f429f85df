// IHD_ON_DEVICE(device, kernel(args...)): calls kernels::cuda::kernel(args...) for a CUDA device
// and kernels::cpu::kernel(args...) otherwise. Every kernel has a CPU twin with the same signature
// (see kernels/README.md), so one call site serves both backends. In a build without CUDA a CUDA
// device gets a clear error instead.
#pragma once

#include "engine/error.h"
#include "kernels/cpu/kernels.h"

#ifdef IHD_WITH_CUDA
#include "kernels/cuda/kernels.h"
#define IHD_ON_DEVICE(device, call) \
  do {                              \
    if ((device).is_cuda()) {       \
      ::ihd::kernels::cuda::call;   \
    } else {                        \
      ::ihd::kernels::cpu::call;    \
    }                               \
  } while (0)
#define IHD_CUDA_ONLY(call) ::ihd::kernels::cuda::call
#else
#define IHD_ON_DEVICE(device, call)                                    \
  do {                                                                 \
    IHD_CHECK(!(device).is_cuda(),                                     \
              "this build of ihd has no CUDA backend (configure with " \
              "-DIHD_CUDA=ON on a machine with nvcc and cuDNN)");      \
    ::ihd::kernels::cpu::call;                                         \
  } while (0)
#define IHD_CUDA_ONLY(call) \
  throw ::ihd::Error("this build of ihd has no CUDA backend (configure with -DIHD_CUDA=ON)")
#endif
