// The sequence model's layers, forward pass and the helpers that lay its logits out for the loss.
#include "model/sequence_model.h"

#include <string>

#include "common/error.h"
#include "engine/ops.h"

namespace ihd {
namespace {

constexpr int kFirstKernel = 5;    // the TCN's first convolution: kernel 5, dilation 1
constexpr int kDilatedKernel = 3;  // then kernel 3, dilations 2, 4, ...

// `layer` applied to every real step of a padded batch [N, T, in] -> [N, T, out]: a kernel-1
// temporal convolution with the Linear's weight viewed as [out, 1, in]. Unlike linear() on the
// flattened batch it never reads the padding (which may be NaN) and leaves 0 there, not the bias.
Tensor per_step_linear(const Linear& layer, const Tensor& x, const std::vector<int>& lengths) {
  const Tensor& weight = layer.weight;
  const Tensor kernel = reshape(weight, Shape{weight.size(0), 1, weight.size(1)});
  return temporal_conv1d(x, lengths, kernel, layer.bias, 1);
}

}  // namespace

SequenceKind parse_sequence_kind(std::string_view name) {
  if (name == "gru") return SequenceKind::gru;
  if (name == "tcn") return SequenceKind::tcn;
  throw Error("sequence model kind must be \"gru\" or \"tcn\", got \"" + std::string(name) + "\"");
}

std::string sequence_kind_name(SequenceKind kind) {
  return kind == SequenceKind::gru ? "gru" : "tcn";
}

TemporalConvStack::TemporalConvStack(int in_channels, int channels, int dilated_layers,
                                     Random& generator) {
  for (int i = 0; i <= dilated_layers; ++i) {
    const int kernel = i == 0 ? kFirstKernel : kDilatedKernel;
    const int dilation = 1 << i;
    convs.push_back(register_module(
        std::to_string(i), std::make_shared<TemporalConv1d>(i == 0 ? in_channels : channels,
                                                            channels, kernel, dilation,
                                                            /*bias=*/true, generator)));
  }
}

Tensor TemporalConvStack::forward(const Tensor& x, const std::vector<int>& lengths) const {
  Tensor h = x;
  for (const auto& conv : convs) {
    const Tensor activated = relu(conv->forward(h, lengths));
    h = activated.shape() == h.shape() ? add(h, activated) : activated;
  }
  return h;
}

SequenceModel::SequenceModel(const SequenceModelConfig& config) : config_(config) {
  IHD_CHECK(config.input_features >= 1 && config.projected_features >= 1 && config.hidden >= 1 &&
                config.layers >= 1 && config.outputs >= 1,
            "SequenceModel: input_features, projected_features, hidden, layers and outputs must ",
            "be positive, got ", config.input_features, ", ", config.projected_features, ", ",
            config.hidden, ", ", config.layers, ", ", config.outputs);
  Random generator(config.seed);
  projection = register_module(
      "projection",
      std::make_shared<Linear>(config.input_features, config.projected_features, true, generator));
  int context_width = 0;
  if (config.kind == SequenceKind::gru) {
    gru = register_module("gru", std::make_shared<GRU>(config.projected_features, config.hidden,
                                                       config.layers, generator));
    context_width = 2 * config.hidden;
  } else {
    tcn = register_module(
        "tcn", std::make_shared<TemporalConvStack>(config.projected_features, config.hidden,
                                                   config.layers, generator));
    context_width = config.hidden;
  }
  head = register_module("head",
                         std::make_shared<Linear>(context_width, config.outputs, true, generator));
}

Tensor SequenceModel::forward(const Tensor& features, const std::vector<int>& lengths) const {
  IHD_CHECK(features.rank() == 3 && features.size(2) == config_.input_features,
            "SequenceModel: features must be [series, slices, ", config_.input_features, "], got ",
            features.shape().to_string());
  const Tensor projected = relu(per_step_linear(*projection, features, lengths));
  const Tensor context = gru ? gru->forward(projected, lengths) : tcn->forward(projected, lengths);
  return per_step_linear(*head, context, lengths);
}

Tensor flatten_steps(const Tensor& logits) {
  IHD_CHECK(logits.rank() == 3, "flatten_steps: logits must be [series, slices, labels], got ",
            logits.shape().to_string());
  return reshape(logits, Shape{logits.size(0) * logits.size(1), logits.size(2)});
}

Tensor real_step_weights(const std::vector<int>& lengths, int steps, Device device) {
  std::vector<float> weights(lengths.size() * static_cast<std::size_t>(steps), 0.0f);
  for (std::size_t n = 0; n < lengths.size(); ++n) {
    IHD_CHECK(lengths[n] >= 1 && lengths[n] <= steps, "real_step_weights: series ", n,
              " has length ", lengths[n], ", outside 1..", steps);
    for (int t = 0; t < lengths[n]; ++t) weights[n * steps + t] = 1.0f;
  }
  return Tensor::from_vector(Shape{static_cast<int64_t>(weights.size())}, weights, device);
}

}  // namespace ihd
