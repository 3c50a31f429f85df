// Helpers shared by the engine tests (and the model's parity tests): seeded random tensors, a
// finite-difference gradient check, and vector comparisons.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "common/error.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace ihd::testing {

inline Tensor random_tensor(Shape shape, Random& generator, float scale = 1.0f) {
  Tensor tensor = Tensor::empty(std::move(shape));
  fill_normal(tensor, generator, 0.0f, scale);
  return tensor;
}

inline Tensor random_leaf(Shape shape, Random& generator, float scale = 1.0f) {
  Tensor tensor = random_tensor(std::move(shape), generator, scale);
  tensor.set_requires_grad(true);
  return tensor;
}

// Largest |a - b| over two equally long vectors.
inline double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
  return worst;
}

// ||ours - truth|| / ||truth||, in double: the error measure of the PyTorch parity tests.
inline double relative_error(const std::vector<float>& ours, const std::vector<double>& truth) {
  REQUIRE(ours.size() == truth.size());
  double difference = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    difference += (ours[i] - truth[i]) * (ours[i] - truth[i]);
    norm += truth[i] * truth[i];
  }
  return std::sqrt(difference / norm);
}

// Checks every input's gradient of L = sum(f(inputs) * R), R a fixed random tensor, against
// central differences of L evaluated in double on the host. Passes when the relative error of
// the whole gradient vector is below `tolerance` and no element is off by more than
// 10 * tolerance * (largest gradient element).
inline void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                            std::vector<Tensor> inputs, double step = 1e-3,
                            double tolerance = 1e-2) {
  Random generator(1234);
  Tensor output = f(inputs);
  const Tensor projection = random_tensor(output.shape(), generator);
  const std::vector<float> projection_values = projection.to_vector();
  sum(mul(output, projection)).backward();

  auto objective = [&]() {
    NoGradGuard no_grad;
    const std::vector<float> values = f(inputs).to_vector();
    double total = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i)
      total += double(values[i]) * projection_values[i];
    return total;
  };
  for (std::size_t input_index = 0; input_index < inputs.size(); ++input_index) {
    const Tensor& input = inputs[input_index];
    if (!input.requires_grad()) continue;
    CAPTURE(input_index);
    REQUIRE(input.grad().defined());
    const std::vector<float> analytic = input.grad().to_vector();
    std::vector<float> numeric(analytic.size());
    float* values = input.data();
    for (std::size_t i = 0; i < numeric.size(); ++i) {
      const float original = values[i];
      values[i] = original + static_cast<float>(step);
      const double plus = objective();
      values[i] = original - static_cast<float>(step);
      const double minus = objective();
      values[i] = original;
      numeric[i] = static_cast<float>((plus - minus) / (2 * step));
    }
    double difference_norm = 0.0, numeric_norm = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < numeric.size(); ++i) {
      difference_norm += std::pow(double(analytic[i]) - numeric[i], 2);
      numeric_norm += std::pow(double(numeric[i]), 2);
      largest = std::max(largest, std::abs(double(numeric[i])));
    }
    CHECK(numeric_norm > 0.0);
    CHECK(std::sqrt(difference_norm / numeric_norm) < tolerance);
    CHECK(max_abs_difference(analytic, numeric) < 10 * tolerance * largest);
  }
}

}  // namespace ihd::testing
