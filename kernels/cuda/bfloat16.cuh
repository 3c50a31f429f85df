// The device side of bfloat16 (kernels/bfloat16.h), shared by the kernels that are written once
// for both element types (batch norm, pooling, the conversions):
//   - device_type(p): an ihd::bfloat16 pointer as the CUDA type with the same bits,
//     __nv_bfloat16 (a float pointer passes through), so that a template sees one of the two;
//   - as_float(v) / from_float<T>(v): float32 <-> element; bfloat16 rounds to nearest even
//     (__float2bfloat16_rn), exactly as the host's to_bfloat16; for float both are the identity,
//     so a template instantiated for float compiles to the plain float32 kernel;
//   - load_floats / store_floats: kWidth consecutive elements at once (one 16-byte load or
//     store of 8 bfloat16 where the pointers are 16-byte aligned; elements past the end are
//     neither read nor written); vector_aligned() lets the host choose that width or 1.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/bfloat16.h"

namespace ihd::kernels::cuda {

static_assert(sizeof(__nv_bfloat16) == sizeof(bfloat16), "ihd::bfloat16 is __nv_bfloat16's bits");

inline const __nv_bfloat16* device_type(const bfloat16* p) {
  return reinterpret_cast<const __nv_bfloat16*>(p);
}
inline __nv_bfloat16* device_type(bfloat16* p) {
  return reinterpret_cast<__nv_bfloat16*>(p);
}
inline const float* device_type(const float* p) {
  return p;
}
inline float* device_type(float* p) {
  return p;
}

__device__ inline float as_float(float value) {
  return value;
}
__device__ inline float as_float(__nv_bfloat16 value) {
  return __bfloat162float(value);
}

template <typename T>
__device__ T from_float(float value);
template <>
__device__ inline float from_float<float>(float value) {
  return value;
}
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

// Elements per 16-byte vector: 8 bfloat16.
constexpr int kBfloat16VectorWidth = 8;

// kWidth elements loaded or stored by one instruction (the alignment makes it so).
template <typename T, int kWidth>
struct alignas(sizeof(T) * kWidth) Vector {
  T values[kWidth];
};

// True when each pointer (null ones included) is aligned to kWidth of its own elements, so that
// load_floats / store_floats<kWidth> may move whole vectors through it.
template <int kWidth, typename... Elements>
bool vector_aligned(const Elements*... pointers) {
  return ((reinterpret_cast<std::uintptr_t>(pointers) % (kWidth * sizeof(Elements)) == 0) && ...);
}

// values[j] = p[first + j] as float for first + j < n; `first` is a multiple of kWidth and p is
// aligned to kWidth elements (vector_aligned), so a whole vector is one load.
template <int kWidth, typename T>
__device__ inline void load_floats(const T* p, int64_t first, int64_t n, float (&values)[kWidth]) {
  if (first + kWidth <= n) {
    const Vector<T, kWidth> vector = *reinterpret_cast<const Vector<T, kWidth>*>(p + first);
#pragma unroll
    for (int j = 0; j < kWidth; ++j) values[j] = as_float(vector.values[j]);
  } else {
    for (int j = 0; first + j < n; ++j) values[j] = as_float(p[first + j]);
  }
}

// p[first + j] = values[j], rounded to T, for first + j < n; same alignment as load_floats.
template <int kWidth, typename T>
__device__ inline void store_floats(T* p, int64_t first, int64_t n, const float (&values)[kWidth]) {
  if (first + kWidth <= n) {
    Vector<T, kWidth> vector;
#pragma unroll
    for (int j = 0; j < kWidth; ++j) vector.values[j] = from_float<T>(values[j]);
    *reinterpret_cast<Vector<T, kWidth>*>(p + first) = vector;
  } else {
    for (int j = 0; first + j < n; ++j) p[first + j] = from_float<T>(values[j]);
  }
}

}  // namespace ihd::kernels::cuda
