// bfloat16: the 16-bit storage type of mixed precision. It is the top half of a float32 (1 sign,
// 8 exponent, 7 mantissa bits), so it keeps float32's range and about 3 significant digits.
// Kernels load bfloat16, compute in float32 and store bfloat16 rounded to nearest, ties to even,
// exactly as CUDA's __float2bfloat16_rn does; a NaN stays a (quiet) NaN. These conversions are for
// host code; CUDA kernels reinterpret a bfloat16* as __nv_bfloat16* (same size, same bits) and use
// cuda_bf16.h, which rounds identically.
#pragma once

#include <cstdint>
#include <cstring>

namespace ihd {

struct bfloat16 {
  uint16_t bits = 0;
};
static_assert(sizeof(bfloat16) == 2, "bfloat16 must be two bytes, like __nv_bfloat16");

inline float to_float(bfloat16 value) {
  const uint32_t word = static_cast<uint32_t>(value.bits) << 16;
  float result;
  std::memcpy(&result, &word, sizeof result);
  return result;
}

inline bfloat16 to_bfloat16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  if ((word & 0x7fffffffu) > 0x7f800000u) {
    return bfloat16{static_cast<uint16_t>((word >> 16) | 0x0040u)};  // NaN: keep it, quietly
  }
  const uint32_t rounding_bias = 0x7fffu + ((word >> 16) & 1u);  // ties go to the even neighbour
  return bfloat16{static_cast<uint16_t>((word + rounding_bias) >> 16)};
}

}  // namespace ihd
