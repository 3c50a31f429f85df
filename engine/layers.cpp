// Layer constructors (PyTorch's default initialisation: uniform in +-1/sqrt(fan_in), which is
// kaiming_uniform with a = sqrt(5)) and forward passes.
#include "engine/layers.h"

#include <cmath>

namespace ihd {

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding,
               bool with_bias, Random& generator)
    : options{stride, padding} {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_channels * kernel * kernel));
  weight =
      register_parameter("weight", Tensor::empty(Shape{out_channels, kernel, kernel, in_channels}));
  fill_uniform(weight, generator, -bound, bound);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out_channels}));
    fill_uniform(bias, generator, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) const {
  return conv2d(x, weight, bias, options);
}

BatchNorm2d::BatchNorm2d(int channels, float momentum_, float eps_)
    : momentum(momentum_), eps(eps_) {
  weight = register_parameter("weight", Tensor::full(Shape{channels}, 1.0f));
  bias = register_parameter("bias", Tensor::zeros(Shape{channels}));
  running_mean = register_buffer("running_mean", Tensor::zeros(Shape{channels}));
  running_var = register_buffer("running_var", Tensor::full(Shape{channels}, 1.0f));
  num_batches_tracked =
      register_buffer("num_batches_tracked", Tensor::zeros(Shape{}, Device::cpu(), DType::i64));
}

Tensor BatchNorm2d::forward(const Tensor& x, bool relu, const Tensor& residual) const {
  if (is_training()) *num_batches_tracked.data_i64() += 1;
  BatchNormOptions options{is_training(), momentum, eps, relu};
  return batch_norm(x, weight, bias, running_mean, running_var, options, residual);
}

Linear::Linear(int in_features, int out_features, bool with_bias, Random& generator) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
  weight = register_parameter("weight", Tensor::empty(Shape{out_features, in_features}));
  fill_uniform(weight, generator, -bound, bound);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out_features}));
    fill_uniform(bias, generator, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, weight, bias);
}

}  // namespace ihd
