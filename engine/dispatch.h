// IHD_ON_DEVICE(device, kernel, args...): calls kernels::kernel<Backend::cuda>(args...) for a CUDA
// device and kernels::kernel<Backend::cpu>(args...) otherwise (IHD_ON_BACKEND, kernels/backend.h,
// with the backend of the device). Every kernel is declared once over both backends
// (kernels/README.md), so one call site serves both. In a build without CUDA a CUDA device gets a
// clear error instead, and no cuda specialization is named.
// IHD_CUDA_ONLY(call) calls one of the CUDA backend's own helpers (kernels/cuda/memory.h), which
// have no CPU counterpart.
//
// with_activation_type(dtype, op, body) does the same for the element type: it calls
// body(float{}) or body(bfloat16{}), so that an op writes its kernel calls once, as a generic
// lambda over `using T = decltype(tag)` with typed_data<T>(tensor) pointers, and the float32 or
// bfloat16 overload of each kernel is picked at compile time.
#pragma once

#include <string_view>

#include "common/error.h"
#include "engine/tensor.h"
#include "kernels/bfloat16.h"
#include "kernels/kernels.h"

namespace ihd {

// The element pointer of a float32 (T = float) or bfloat16 (T = bfloat16) tensor, dtype checked;
// null for an undefined tensor (an absent optional operand).
template <typename T>
T* typed_data(const Tensor& tensor) {
  if (!tensor.defined()) return nullptr;
  if constexpr (std::is_same_v<T, bfloat16>) {
    return tensor.data_bf16();
  } else {
    return tensor.data();
  }
}

// The backend that runs the kernels of a device's tensors.
inline kernels::Backend backend_of(const Device& device) {
  return device.is_cuda() ? kernels::Backend::cuda : kernels::Backend::cpu;
}

template <typename Body>
decltype(auto) with_activation_type(DType dtype, std::string_view op, Body&& body) {
  if (dtype == DType::bf16) return body(bfloat16{});
  IHD_CHECK(dtype == DType::f32, op, ": activations must be float32 or bfloat16, got ",
            dtype_name(dtype));
  return body(float{});
}

}  // namespace ihd

#define IHD_ON_DEVICE(device, kernel, ...) \
  IHD_ON_BACKEND(::ihd::backend_of(device), kernel, __VA_ARGS__)

#ifdef IHD_WITH_CUDA
#include "kernels/cuda/memory.h"
#define IHD_CUDA_ONLY(call) ::ihd::kernels::cuda::call
#else
#define IHD_CUDA_ONLY(call) \
  throw ::ihd::Error(::ihd::kernels::kNoCudaBackend)
#endif
