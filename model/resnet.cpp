// The ResNet builder, its blocks' forward passes and torchvision's initialisation.
#include "model/resnet.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace ihd {
namespace {

// The base widths of the four stages; stage i > 0 halves the resolution in its first block.
constexpr std::array<int, 4> kStageWidths{64, 128, 256, 512};
constexpr std::array<int, 4> kStageStrides{1, 2, 2, 2};
constexpr int kStemWidth = 64;

int scaled(int width, double multiplier) {
  return std::max(1, static_cast<int>(std::lround(width * multiplier)));
}

// A bias-free convolution with "same" padding, initialised as torchvision does:
// Kaiming normal, fan_out mode, ReLU gain: std = sqrt(2 / (out_channels * kernel * kernel)).
std::shared_ptr<Conv2d> kaiming_conv(int in_channels, int out_channels, int kernel, int stride,
                                     Random& generator) {
  auto conv = std::make_shared<Conv2d>(in_channels, out_channels, kernel, stride, kernel / 2,
                                       /*bias=*/false, generator);
  const double fan_out = static_cast<double>(out_channels) * kernel * kernel;
  fill_normal(conv->weight, generator, 0.0f, static_cast<float>(std::sqrt(2.0 / fan_out)));
  return conv;
}

// The shortcut of a block: identity when the shapes match, else a strided 1x1 projection.
std::shared_ptr<Projection> projection_if_needed(int in_channels, int out_channels, int stride,
                                                 Random& generator) {
  if (stride == 1 && in_channels == out_channels) return nullptr;
  return std::make_shared<Projection>(in_channels, out_channels, stride, generator);
}

}  // namespace

ResNetConfig resnet_config(int depth) {
  // The table of the ResNet paper: block kind and blocks per stage for each depth.
  struct Variant {
    int depth;
    BlockKind block;
    std::array<int, 4> stage_blocks;
  };
  static constexpr Variant kVariants[] = {
      {18, BlockKind::basic, {2, 2, 2, 2}},         // resnet18: 11.7 M parameters
      {34, BlockKind::basic, {3, 4, 6, 3}},         // resnet34: 21.8 M
      {50, BlockKind::bottleneck, {3, 4, 6, 3}},    // resnet50: 25.6 M
      {101, BlockKind::bottleneck, {3, 4, 23, 3}},  // resnet101: 44.5 M
      {152, BlockKind::bottleneck, {3, 8, 36, 3}},  // resnet152: 60.2 M
  };
  for (const Variant& variant : kVariants) {
    if (variant.depth != depth) continue;
    ResNetConfig config;
    config.block = variant.block;
    config.stage_blocks = variant.stage_blocks;
    return config;
  }
  throw Error("ResNet depth must be 18, 34, 50, 101 or 152, got " + std::to_string(depth));
}

int block_expansion(BlockKind block) {
  return block == BlockKind::bottleneck ? 4 : 1;
}

int stage_width(const ResNetConfig& config, int stage) {
  return scaled(kStageWidths.at(stage), config.width_multiplier);
}

int stage_stride(int stage) {
  return kStageStrides.at(stage);
}

int stem_width(const ResNetConfig& config) {
  return scaled(kStemWidth, config.width_multiplier);
}

int feature_channels(const ResNetConfig& config) {
  return stage_width(config, 3) * block_expansion(config.block);
}

Projection::Projection(int in_channels, int out_channels, int stride, Random& generator) {
  conv = register_module("0", kaiming_conv(in_channels, out_channels, 1, stride, generator));
  bn = register_module("1", std::make_shared<BatchNorm2d>(out_channels));
  fold = std::make_unique<ConvBatchNormFold>(*conv, *bn);
}

Tensor Projection::forward(const Tensor& x) const {
  return fold->forward(x);
}

void Projection::clear_folds() const {
  fold->clear();
}

BasicBlock::BasicBlock(int in_channels, int width, int stride, bool zero_init_residual,
                       Random& generator) {
  conv1 = register_module("conv1", kaiming_conv(in_channels, width, 3, stride, generator));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  conv2 = register_module("conv2", kaiming_conv(width, width, 3, 1, generator));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
  if (zero_init_residual) bn2->weight.fill(0.0f);
  downsample = projection_if_needed(in_channels, width, stride, generator);
  if (downsample) register_module("downsample", downsample);
  fold1 = std::make_unique<ConvBatchNormFold>(*conv1, *bn1);
  fold2 = std::make_unique<ConvBatchNormFold>(*conv2, *bn2);
}

Tensor BasicBlock::forward(const Tensor& x) const {
  const Tensor shortcut = downsample ? downsample->forward(x) : x;
  const Tensor out = fold1->forward(x, /*relu=*/true);
  return fold2->forward(out, /*relu=*/true, shortcut);
}

void BasicBlock::clear_folds() const {
  for (const auto* fold : {fold1.get(), fold2.get()}) fold->clear();
  if (downsample) downsample->clear_folds();
}

Bottleneck::Bottleneck(int in_channels, int width, int stride, bool zero_init_residual,
                       Random& generator) {
  const int out_channels = width * block_expansion(BlockKind::bottleneck);
  conv1 = register_module("conv1", kaiming_conv(in_channels, width, 1, 1, generator));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  conv2 = register_module("conv2", kaiming_conv(width, width, 3, stride, generator));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(width));
  conv3 = register_module("conv3", kaiming_conv(width, out_channels, 1, 1, generator));
  bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(out_channels));
  if (zero_init_residual) bn3->weight.fill(0.0f);
  downsample = projection_if_needed(in_channels, out_channels, stride, generator);
  if (downsample) register_module("downsample", downsample);
  fold1 = std::make_unique<ConvBatchNormFold>(*conv1, *bn1);
  fold2 = std::make_unique<ConvBatchNormFold>(*conv2, *bn2);
  fold3 = std::make_unique<ConvBatchNormFold>(*conv3, *bn3);
}

Tensor Bottleneck::forward(const Tensor& x) const {
  const Tensor shortcut = downsample ? downsample->forward(x) : x;
  Tensor out = fold1->forward(x, /*relu=*/true);
  out = fold2->forward(out, /*relu=*/true);
  return fold3->forward(out, /*relu=*/true, shortcut);
}

void Bottleneck::clear_folds() const {
  for (const auto* fold : {fold1.get(), fold2.get(), fold3.get()}) fold->clear();
  if (downsample) downsample->clear_folds();
}

void Stage::append(std::shared_ptr<ResidualBlock> block) {
  blocks.push_back(register_module(std::to_string(blocks.size()), std::move(block)));
}

Tensor Stage::forward(const Tensor& x) const {
  Tensor out = x;
  for (const auto& block : blocks) out = block->forward(out);
  return out;
}

MlpHead::MlpHead(int in_features, int hidden_units, int num_outputs, Random& generator) {
  hidden =
      register_module("0", std::make_shared<Linear>(in_features, hidden_units, true, generator));
  output =
      register_module("2", std::make_shared<Linear>(hidden_units, num_outputs, true, generator));
}

Tensor MlpHead::forward(const Tensor& x) const {
  return output->forward(relu(hidden->forward(x)));
}

ResNet::ResNet(const ResNetConfig& config) : config_(config) {
  IHD_CHECK(config.input_channels >= 1 && config.num_outputs >= 1 &&
                config.width_multiplier > 0.0 && config.head_hidden_units >= 0,
            "ResNet: bad config (input channels ", config.input_channels, ", outputs ",
            config.num_outputs, ", width multiplier ", config.width_multiplier,
            ", head hidden units ", config.head_hidden_units, ")");
  Random generator(config.seed);
  conv1 = register_module("conv1",
                          kaiming_conv(config.input_channels, stem_width(config), 7, 2, generator));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(stem_width(config)));
  stem_fold = std::make_unique<ConvBatchNormFold>(*conv1, *bn1);

  int channels = stem_width(config);
  for (int s = 0; s < 4; ++s) {
    const int width = stage_width(config, s);
    stages[s] = register_module("layer" + std::to_string(s + 1), std::make_shared<Stage>());
    for (int b = 0; b < config.stage_blocks[s]; ++b) {
      const int stride = b == 0 ? stage_stride(s) : 1;
      if (config.block == BlockKind::bottleneck) {
        stages[s]->append(std::make_shared<Bottleneck>(channels, width, stride,
                                                       config.zero_init_residual, generator));
      } else {
        stages[s]->append(std::make_shared<BasicBlock>(channels, width, stride,
                                                       config.zero_init_residual, generator));
      }
      channels = width * block_expansion(config.block);
    }
  }

  if (config.head_hidden_units > 0) {
    mlp_fc = register_module("fc", std::make_shared<MlpHead>(channels, config.head_hidden_units,
                                                             config.num_outputs, generator));
  } else {
    fc = register_module("fc",
                         std::make_shared<Linear>(channels, config.num_outputs, true, generator));
  }
}

Tensor ResNet::feature_map(const Tensor& images) const {
  IHD_CHECK(images.rank() == 4 && images.size(3) == config_.input_channels,
            "ResNet: expected images [N, H, W, ", config_.input_channels, "], got ",
            images.shape().to_string());
  Tensor x = stem_fold->forward(images, /*relu=*/true);
  x = max_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1});
  for (const auto& stage : stages) x = stage->forward(x);
  return x;
}

Tensor ResNet::features(const Tensor& images) const {
  return global_avg_pool(feature_map(images));
}

Tensor ResNet::head(const Tensor& pooled) const {
  return fc ? fc->forward(pooled) : mlp_fc->forward(pooled);
}

Tensor ResNet::forward(const Tensor& images) const {
  return head(features(images));
}

void ResNet::set_backbone_mode() {
  if (!backbone_frozen_) return;
  conv1->eval();
  bn1->eval();
  for (const auto& stage : stages) stage->eval();
}

void ResNet::freeze_backbone(bool frozen) {
  backbone_frozen_ = frozen;
  conv1->set_requires_grad(!frozen);
  bn1->set_requires_grad(!frozen);
  for (const auto& stage : stages) stage->set_requires_grad(!frozen);
  train(is_training());
}

void ResNet::train(bool training) {
  Module::train(training);
  set_backbone_mode();
  stem_fold->clear();
  for (const auto& stage : stages) {
    for (const auto& block : stage->blocks) block->clear_folds();
  }
}

std::vector<NamedTensor> ResNet::trainable_parameters() const {
  std::vector<NamedTensor> trainable;
  for (auto& [name, tensor] : named_parameters()) {
    if (tensor.requires_grad()) trainable.emplace_back(name, tensor);
  }
  return trainable;
}

}  // namespace ihd
