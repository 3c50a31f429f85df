// Loads and stores of a CPU kernel's activation type, so that one loop body serves float32 and
// bfloat16 activations: a float is used as is; a bfloat16 is widened on load and each result is
// rounded once on store (kernels/bfloat16.h). The arithmetic between is float32 in both cases,
// which makes a bfloat16 kernel written this way equal, bit for bit, to the float32 kernel run on
// the widened values with its results rounded: the mixed-precision contract the CUDA kernels meet
// too, without the float32 copies of each operand.
#pragma once

#include "kernels/bfloat16.h"

namespace ihd::kernels::cpu {

inline float load(float value) {
  return value;
}
inline float load(bfloat16 value) {
  return to_float(value);
}

// The float32 `value` stored as T.
template <typename T>
T stored_as(float value);
template <>
inline float stored_as<float>(float value) {
  return value;
}
template <>
inline bfloat16 stored_as<bfloat16>(float value) {
  return to_bfloat16(value);
}

}  // namespace ihd::kernels::cpu
