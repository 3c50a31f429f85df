// bfloat16 vectors for the kernel tests: float32 values rounded to bfloat16 and bfloat16 values
// widened back, element by element through kernels/bfloat16.h's scalar conversions (not the
// vectorised convert kernels some of these tests check).
#pragma once

#include <vector>

#include "kernels/bfloat16.h"

namespace ihd::testing {

inline std::vector<bfloat16> rounded(const std::vector<float>& values) {
  std::vector<bfloat16> result(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) result[i] = to_bfloat16(values[i]);
  return result;
}

inline std::vector<float> widened(const std::vector<bfloat16>& values) {
  std::vector<float> result(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) result[i] = to_float(values[i]);
  return result;
}

}  // namespace ihd::testing
