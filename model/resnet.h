// ResNet (He et al. 2015) as torchvision builds it, "v1.5": the stride of a bottleneck sits on its
// 3x3 convolution. One builder makes resnet18/34/50/101/152; the module tree, and so every
// parameter name and shape, is torchvision's (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0,
// ..., fc), so weights move both ways (model/weights.h).
//
//   stem:   7x7/2 conv -> BN + ReLU -> 3x3/2 max pool                       (conv1, bn1)
//   stages: layer1..layer4, widths 64/128/256/512, first block of layers 2-4 has stride 2
//   head:   global average pool -> Linear (fc), or Linear -> ReLU -> Linear (fc.0, fc.2)
//
// Each block ends in the engine's fused batch norm y = relu(bn(x) + shortcut), the tail that the
// CUDA backend runs as one kernel. Activations are NHWC: images come in as [N, H, W, channels].
// In evaluation without gradients (prediction, validation) every conv + BN (+ shortcut add)
// (+ ReLU) runs as one convolution with the batch norm folded into its weights
// (engine/conv_batch_norm_fold.h); train() drops the folded weights, and any change of a
// parameter or running statistic remakes them. The folds refer to the layers they were built
// with: replace a layer's tensors' values, never the layer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/conv_batch_norm_fold.h"
#include "engine/layers.h"
#include "engine/module.h"

namespace ihd {

enum class BlockKind {
  basic,       // 3x3 -> 3x3, expansion 1 (resnet18, resnet34)
  bottleneck,  // 1x1 -> 3x3 -> 1x1, expansion 4 (resnet50 and deeper)
};

struct ResNetConfig {
  BlockKind block = BlockKind::bottleneck;
  std::array<int, 4> stage_blocks{3, 4, 6, 3};
  int input_channels = 3;           // 1 for one CT window, 3 for ImageNet or three stacked windows
  int num_outputs = 1000;           // 1 for "any hemorrhage", 6 for the RSNA subtypes
  double width_multiplier = 1.0;    // scales every width (64 ... 512); < 1 for tiny test models
  int head_hidden_units = 0;        // 0: fc is one Linear; N > 0: fc.0 Linear(., N), ReLU, fc.2
  bool zero_init_residual = false;  // gamma 0 in each block's last BN (torchvision's option)
  uint64_t seed = 0;                // initialisation is a pure function of the config
};

// torchvision's depths: 18, 34, 50, 101 or 152 (anything else throws). Other fields default.
ResNetConfig resnet_config(int depth);

// Output channels of a block per unit of its width: 1 (basic) or 4 (bottleneck).
int block_expansion(BlockKind block);
// The width of stage `stage` (0..3) under the config's multiplier: 64, 128, 256, 512 scaled.
int stage_width(const ResNetConfig& config, int stage);
// The stride of stage `stage`'s first block: 1 for layer1, 2 for layers 2-4.
int stage_stride(int stage);
// Channels of the stem (64 scaled) and of the pooled features (512 * expansion scaled).
int stem_width(const ResNetConfig& config);
int feature_channels(const ResNetConfig& config);

// A residual block: the shortcut path and the block's own layers, meeting in the fused BN tail.
class ResidualBlock : public Module {
 public:
  virtual Tensor forward(const Tensor& x) const = 0;
  // Drops the folded weights of its conv + BN pairs (ConvBatchNormFold::clear).
  virtual void clear_folds() const = 0;
};

// The projection shortcut where the shape changes: 1x1 conv (with the block's stride) + BN.
// Its children are named "0" and "1", as torch.nn.Sequential names them.
class Projection : public Module {
 public:
  Projection(int in_channels, int out_channels, int stride, Random& generator);
  Tensor forward(const Tensor& x) const;
  void clear_folds() const;

  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::unique_ptr<ConvBatchNormFold> fold;
};

class BasicBlock : public ResidualBlock {
 public:
  BasicBlock(int in_channels, int width, int stride, bool zero_init_residual, Random& generator);
  Tensor forward(const Tensor& x) const override;
  void clear_folds() const override;

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<Projection> downsample;  // null when the shapes already match
  std::unique_ptr<ConvBatchNormFold> fold1, fold2;
};

class Bottleneck : public ResidualBlock {
 public:
  Bottleneck(int in_channels, int width, int stride, bool zero_init_residual, Random& generator);
  Tensor forward(const Tensor& x) const override;
  void clear_folds() const override;

  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<Projection> downsample;
  std::unique_ptr<ConvBatchNormFold> fold1, fold2, fold3;
};

// A stage (layer1 ... layer4): blocks named "0", "1", ... run in sequence.
class Stage : public Module {
 public:
  void append(std::shared_ptr<ResidualBlock> block);
  Tensor forward(const Tensor& x) const;

  std::vector<std::shared_ptr<ResidualBlock>> blocks;
};

// The seed's classifier head: Linear(features, hidden) -> ReLU -> Linear(hidden, outputs), named
// "0" and "2" like torch.nn.Sequential(Linear, ReLU, Linear).
class MlpHead : public Module {
 public:
  MlpHead(int in_features, int hidden_units, int num_outputs, Random& generator);
  Tensor forward(const Tensor& x) const;

  std::shared_ptr<Linear> hidden, output;
};

class ResNet : public Module {
 public:
  explicit ResNet(const ResNetConfig& config);

  // images [N, H, W, input_channels] -> logits [N, num_outputs].
  Tensor forward(const Tensor& images) const;
  // images -> pooled backbone features [N, feature_channels].
  Tensor features(const Tensor& images) const;
  // images -> layer4's output [N, H/32, W/32, feature_channels], before pooling (for Grad-CAM).
  Tensor feature_map(const Tensor& images) const;
  // pooled features -> logits: the fc head (linear or MLP).
  Tensor head(const Tensor& pooled) const;

  // Freezing the backbone (everything but fc) stops its gradients and keeps its batch norms in
  // evaluation mode (running statistics, no updates), whatever train() says: a frozen base
  // behaves as a fixed feature extractor, as Keras' frozen base does. Unfreezing restores both.
  void freeze_backbone(bool frozen = true);
  bool backbone_frozen() const { return backbone_frozen_; }
  void train(bool training = true) override;

  // The parameters that receive gradients: all, or only the head's when the backbone is frozen.
  std::vector<NamedTensor> trainable_parameters() const;
  const ResNetConfig& config() const { return config_; }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::unique_ptr<ConvBatchNormFold> stem_fold;  // conv1 + bn1
  std::array<std::shared_ptr<Stage>, 4> stages;  // layer1 ... layer4
  std::shared_ptr<Linear> fc;                    // the linear head, or null
  std::shared_ptr<MlpHead> mlp_fc;               // the MLP head (also named fc), or null

 private:
  void set_backbone_mode();

  ResNetConfig config_;
  bool backbone_frozen_ = false;
};

}  // namespace ihd
