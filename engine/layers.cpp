// Layer constructors (PyTorch's default initialisation: uniform in +-1/sqrt(fan_in), which is
// kaiming_uniform with a = sqrt(5); for the GRU uniform in +-1/sqrt(hidden_size)) and forward
// passes.
#include "engine/layers.h"

#include <cmath>
#include <string>

#include "common/error.h"

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
  BatchNormOptions options{is_training(), momentum, eps, relu, replica_sum};
  return batch_norm(x, weight, bias, running_mean, running_var, options, residual);
}

void set_replica_sum(Module& model, const ReplicaSum& sum) {
  model.for_each_module([&](Module& module) {
    if (auto* layer = dynamic_cast<BatchNorm2d*>(&module)) layer->replica_sum = sum;
  });
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

GRU::GRU(int input_size, int hidden_size_, int num_layers, Random& generator)
    : hidden_size(hidden_size_) {
  IHD_CHECK(input_size >= 1 && hidden_size >= 1 && num_layers >= 1,
            "GRU: input_size, hidden_size and num_layers must be positive");
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  const auto parameter = [&](const std::string& name, Shape shape) {
    Tensor tensor = register_parameter(name, Tensor::empty(std::move(shape)));
    fill_uniform(tensor, generator, -bound, bound);
    return tensor;
  };
  const int gate_rows = 3 * hidden_size;
  for (int l = 0; l < num_layers; ++l) {
    const int layer_input = l == 0 ? input_size : 2 * hidden_size;
    Layer layer;
    for (const bool reverse : {false, true}) {
      const std::string suffix = "_l" + std::to_string(l) + (reverse ? "_reverse" : "");
      GruWeights& w = reverse ? layer.reverse : layer.forward;
      w.weight_ih = parameter("weight_ih" + suffix, Shape{gate_rows, layer_input});
      w.weight_hh = parameter("weight_hh" + suffix, Shape{gate_rows, hidden_size});
      w.bias_ih = parameter("bias_ih" + suffix, Shape{gate_rows});
      w.bias_hh = parameter("bias_hh" + suffix, Shape{gate_rows});
    }
    layers.push_back(layer);
  }
}

Tensor GRU::forward(const Tensor& x, const std::vector<int>& lengths) const {
  Tensor h = x;
  for (const Layer& layer : layers) h = gru_bidirectional(h, lengths, layer.forward, layer.reverse);
  return h;
}

TemporalConv1d::TemporalConv1d(int in_channels, int out_channels, int kernel, int dilation_,
                               bool with_bias, Random& generator)
    : dilation(dilation_) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_channels * kernel));
  weight = register_parameter("weight", Tensor::empty(Shape{out_channels, kernel, in_channels}));
  fill_uniform(weight, generator, -bound, bound);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out_channels}));
    fill_uniform(bias, generator, -bound, bound);
  }
}

Tensor TemporalConv1d::forward(const Tensor& x, const std::vector<int>& lengths) const {
  return temporal_conv1d(x, lengths, weight, bias, dilation);
}

}  // namespace ihd
