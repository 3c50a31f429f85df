// Batch norm's statistics against hand-computed values: batch normalisation with the biased
// variance, running statistics with momentum 0.1 and the unbiased variance, evaluation mode, and
// num_batches_tracked counting as in PyTorch.
#include "engine/layers.h"
#include "test_util.h"

namespace ihd {

TEST_CASE("batch_norm training: normalises with batch statistics and updates running stats") {
  // Two channels over four rows. Channel 0: 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3).
  // Channel 1: 10, 10, 10, 14 (mean 11, biased var 3, unbiased 4).
  const Tensor x = Tensor::from_vector(Shape{4, 2}, {1, 10, 2, 10, 3, 10, 4, 14});
  const Tensor weight = Tensor::from_vector(Shape{2}, {2.0f, 1.0f});
  const Tensor bias = Tensor::from_vector(Shape{2}, {0.5f, -1.0f});
  Tensor running_mean = Tensor::zeros(Shape{2}), running_var = Tensor::full(Shape{2}, 1.0f);
  const Tensor y = batch_norm(x, weight, bias, running_mean, running_var, BatchNormOptions{});
  const std::vector<float> out = y.to_vector();
  const double invstd0 = 1.0 / std::sqrt(1.25 + 1e-5), invstd1 = 1.0 / std::sqrt(3.0 + 1e-5);
  const double expected[8] = {2 * (1 - 2.5) * invstd0 + 0.5, (10 - 11) * invstd1 - 1,
                              2 * (2 - 2.5) * invstd0 + 0.5, (10 - 11) * invstd1 - 1,
                              2 * (3 - 2.5) * invstd0 + 0.5, (10 - 11) * invstd1 - 1,
                              2 * (4 - 2.5) * invstd0 + 0.5, (14 - 11) * invstd1 - 1};
  for (int i = 0; i < 8; ++i) CHECK(out[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  const std::vector<float> mean = running_mean.to_vector(), var = running_var.to_vector();
  CHECK(mean[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(mean[1] == doctest::Approx(1.1).epsilon(1e-6));
  CHECK(var[0] == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0).epsilon(1e-5));
  CHECK(var[1] == doctest::Approx(0.9 + 0.1 * 4.0).epsilon(1e-5));
}

TEST_CASE("batch_norm evaluation: uses running statistics and leaves them alone") {
  const Tensor x = Tensor::from_vector(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor weight = Tensor::from_vector(Shape{2}, {3.0f, 1.0f});
  const Tensor bias = Tensor::from_vector(Shape{2}, {1.0f, 0.0f});
  Tensor running_mean = Tensor::from_vector(Shape{2}, {1.0f, -1.0f});
  Tensor running_var = Tensor::from_vector(Shape{2}, {4.0f, 0.25f});
  BatchNormOptions options;
  options.training = false;
  const std::vector<float> y =
      batch_norm(x, weight, bias, running_mean, running_var, options).to_vector();
  CHECK(y[0] == doctest::Approx(3 * (1 - 1) / std::sqrt(4 + 1e-5) + 1));
  CHECK(y[1] == doctest::Approx((2 + 1) / std::sqrt(0.25 + 1e-5)));
  CHECK(y[2] == doctest::Approx(3 * (3 - 1) / std::sqrt(4 + 1e-5) + 1));
  CHECK(y[3] == doctest::Approx((4 + 1) / std::sqrt(0.25 + 1e-5)));
  CHECK(running_mean.to_vector() == std::vector<float>{1.0f, -1.0f});
  CHECK(running_var.to_vector() == std::vector<float>{4.0f, 0.25f});
}

TEST_CASE("batch_norm fused tail: relu(bn(x) + residual)") {
  const Tensor x = Tensor::from_vector(Shape{2, 1}, {-1, 1});
  const Tensor weight = Tensor::full(Shape{1}, 1.0f), bias = Tensor::zeros(Shape{1});
  Tensor running_mean = Tensor::zeros(Shape{1}), running_var = Tensor::full(Shape{1}, 1.0f);
  const Tensor residual = Tensor::from_vector(Shape{2, 1}, {0.5f, -2.0f});
  BatchNormOptions options;
  options.relu = true;
  const std::vector<float> y =
      batch_norm(x, weight, bias, running_mean, running_var, options, residual).to_vector();
  // bn(x) = -1/sqrt(1 + eps), 1/sqrt(1 + eps): -0.999995 + 0.5 < 0 -> 0; 0.999995 - 2 < 0 -> 0.
  CHECK(y == std::vector<float>{0.0f, 0.0f});
  const std::vector<float> y_open = batch_norm(x, weight, bias, running_mean, running_var, options,
                                               Tensor::from_vector(Shape{2, 1}, {2.0f, 0.0f}))
                                        .to_vector();
  CHECK(y_open[0] == doctest::Approx(2.0 - 1.0 / std::sqrt(1 + 1e-5)));
  CHECK(y_open[1] == doctest::Approx(1.0 / std::sqrt(1 + 1e-5)));
}

TEST_CASE("BatchNorm2d counts batches in training only and exposes torch names") {
  BatchNorm2d layer(3);
  Random g(1);
  const Tensor x = testing::random_tensor(Shape{2, 2, 2, 3}, g);
  layer.forward(x);
  layer.forward(x);
  layer.eval();
  layer.forward(x);
  CHECK(*layer.num_batches_tracked.data_i64() == 2);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : layer.state()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                          "num_batches_tracked"});
}

}  // namespace ihd
