// The error measure of every CPU-against-CUDA comparison (the op cases, the training steps of
// tests/cuda): sum (reference - value)^2 / sum reference^2, as ggml's test-backend-ops uses.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/tensor.h"

namespace ihd::testing {

// The plain sum of squares when the reference is all zeros; infinite where a NaN appears, except
// that NaN on both sides at the same position counts as equal when `matching_nan_allowed` (the
// padding of an input, which an op must leave alone).
inline double normalised_error(const std::vector<float>& reference,
                               const std::vector<float>& values,
                               bool matching_nan_allowed = false) {
  double difference = 0.0, magnitude = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const bool reference_nan = std::isnan(reference[i]), value_nan = std::isnan(values[i]);
    if (reference_nan || value_nan) {
      if (matching_nan_allowed && reference_nan && value_nan) continue;
      return std::numeric_limits<double>::infinity();
    }
    const double delta = static_cast<double>(reference[i]) - values[i];
    difference += delta * delta;
    magnitude += static_cast<double>(reference[i]) * reference[i];
  }
  return magnitude > 0.0 ? difference / magnitude : difference;
}

// The same over two tensors' values (any devices and element types), which must be as many.
inline double normalised_error(const Tensor& reference, const Tensor& value) {
  const std::vector<float> expected = reference.to_vector(), actual = value.to_vector();
  REQUIRE(expected.size() == actual.size());
  return normalised_error(expected, actual);
}

}  // namespace ihd::testing
