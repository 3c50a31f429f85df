// The layer table of a ResNet, like Keras' model.summary(): each layer's (or block's) output shape,
// parameter count and multiply-adds for one image of a given size, with totals. It is computed
// from the config alone (no model is built), by the same shape rules the layers apply.
//
// Counting rules: parameters are what torch counts (weights and biases, BN gamma and beta; not the
// running statistics); multiply-adds are those of convolutions and linear layers (batch norm,
// ReLU, pooling and the residual add are a few operations per output value and are not counted),
// the convention of torchvision's published "GFLOPS" (4.09 for resnet50 at 224 x 224).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/resnet.h"

namespace ihd {

enum class SummaryDetail {
  blocks,  // stem, max pool, one row per residual block, pool, head
  layers,  // every convolution, batch norm, pooling and linear layer
};

struct SummaryRow {
  std::string name;  // torch module name: "conv1", "layer1.0", "layer1.0.conv2", "fc"
  std::string kind;  // "Conv2d 3x3/2", "Bottleneck 64->256 /1 +projection", ...
  int height = 1, width = 1, channels = 0;  // output of one image
  int64_t parameters = 0;
  int64_t multiply_adds = 0;
};

std::vector<SummaryRow> resnet_summary_rows(const ResNetConfig& config, int image_size,
                                            SummaryDetail detail = SummaryDetail::blocks);

// The table as text, ending in the totals: what `ihd_train --summary` prints.
std::string resnet_summary(const ResNetConfig& config, int image_size,
                           SummaryDetail detail = SummaryDetail::blocks);

}  // namespace ihd
