// The two backends a kernel runs on, and the one place a backend known only at run time picks a
// kernel. Each kernel family's header (kernels/<family>.h) states a kernel's contract once and
// declares it once, as a function template over the backend:
//   template <Backend B> void fill(int64_t n, float value, float* out);
// kernels/cpu/<family>.cpp defines fill<Backend::cpu> (pointers point at host memory),
// kernels/cuda/<family>.cu defines fill<Backend::cuda> (device pointers, work queued on the
// compute stream). The backend is a template argument, not a build setting: a build with CUDA
// has both, and the engine picks one per tensor at run time (IHD_ON_DEVICE in engine/dispatch.h,
// which calls IHD_ON_BACKEND below).
#pragma once

#include "common/error.h"

namespace ihd::kernels {

enum class Backend { cpu, cuda };

// What a build without CUDA answers a request for the CUDA backend.
inline constexpr const char* kNoCudaBackend =
    "this build of ihd has no CUDA backend (configure with -DIHD_CUDA=ON on a machine with nvcc "
    "and cuDNN)";

}  // namespace ihd::kernels

// IHD_ON_BACKEND(backend, kernel, args...): calls kernels::kernel<Backend::cuda>(args...) when the
// run-time value `backend` is Backend::cuda, else kernels::kernel<Backend::cpu>(args...). A build
// without CUDA defines no cuda specialization: there the macro names none (nothing fails to link)
// and answers Backend::cuda with an error that says how to get a CUDA build.
#ifdef IHD_WITH_CUDA
#define IHD_ON_BACKEND(backend, kernel, ...)                              \
  do {                                                                    \
    if ((backend) == ::ihd::kernels::Backend::cuda) {                     \
      ::ihd::kernels::kernel<::ihd::kernels::Backend::cuda>(__VA_ARGS__); \
    } else {                                                              \
      ::ihd::kernels::kernel<::ihd::kernels::Backend::cpu>(__VA_ARGS__);  \
    }                                                                     \
  } while (0)
#else
#define IHD_ON_BACKEND(backend, kernel, ...)                           \
  do {                                                                 \
    IHD_CHECK((backend) != ::ihd::kernels::Backend::cuda,              \
              ::ihd::kernels::kNoCudaBackend);                         \
    ::ihd::kernels::kernel<::ihd::kernels::Backend::cpu>(__VA_ARGS__); \
  } while (0)
#endif
