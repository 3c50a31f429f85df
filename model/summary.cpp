// The layer table: a walk over the architecture that tracks the activation shape layer by layer,
// then (for the block view) sums each block's layers into one row, and the text formatting.
#include "model/summary.h"

#include <cstdio>

#include "common/error.h"

namespace ihd {
namespace {

struct ActivationShape {
  int height, width, channels;
};

// Appends one row per layer while following the activation shape through the network.
class LayerWalker {
 public:
  explicit LayerWalker(int image_size, int channels) : shape_{image_size, image_size, channels} {}

  // A bias-free convolution with padding kernel / 2, as every ResNet convolution is.
  void conv(const std::string& name, int out_channels, int kernel, int stride) {
    const int padding = kernel / 2;
    shape_.height = (shape_.height + 2 * padding - kernel) / stride + 1;
    shape_.width = (shape_.width + 2 * padding - kernel) / stride + 1;
    const int64_t weights = int64_t{out_channels} * kernel * kernel * shape_.channels;
    shape_.channels = out_channels;
    add(name,
        "Conv2d " + std::to_string(kernel) + "x" + std::to_string(kernel) + "/" +
            std::to_string(stride),
        weights, weights * shape_.height * shape_.width);
  }

  void batch_norm(const std::string& name, const std::string& fused) {
    add(name, "BatchNorm2d" + fused, 2 * int64_t{shape_.channels}, 0);
  }

  void max_pool(const std::string& name) {
    shape_.height = (shape_.height + 2 - 3) / 2 + 1;
    shape_.width = (shape_.width + 2 - 3) / 2 + 1;
    add(name, "MaxPool2d 3x3/2", 0, 0);
  }

  void global_avg_pool(const std::string& name) {
    shape_.height = shape_.width = 1;
    add(name, "GlobalAvgPool", 0, 0);
  }

  void linear(const std::string& name, int out_features, const std::string& fused = "") {
    const int64_t weights = int64_t{out_features} * shape_.channels;
    shape_.channels = out_features;
    add(name, "Linear" + fused, weights + out_features, weights);
  }

  ActivationShape shape() const { return shape_; }
  void set_shape(ActivationShape shape) { shape_ = shape; }
  std::vector<SummaryRow>& rows() { return rows_; }

 private:
  void add(const std::string& name, const std::string& kind, int64_t parameters,
           int64_t multiply_adds) {
    rows_.push_back(
        {name, kind, shape_.height, shape_.width, shape_.channels, parameters, multiply_adds});
  }

  ActivationShape shape_;
  std::vector<SummaryRow> rows_;
};

// One residual block's layers, in torch's order (the projection last), as the builder makes them.
void walk_block(LayerWalker& walker, const std::string& name, BlockKind block, int width,
                int stride) {
  const ActivationShape input = walker.shape();
  const int out_channels = width * block_expansion(block);
  if (block == BlockKind::bottleneck) {
    walker.conv(name + ".conv1", width, 1, 1);
    walker.batch_norm(name + ".bn1", " + ReLU");
    walker.conv(name + ".conv2", width, 3, stride);
    walker.batch_norm(name + ".bn2", " + ReLU");
    walker.conv(name + ".conv3", out_channels, 1, 1);
    walker.batch_norm(name + ".bn3", " + shortcut + ReLU");
  } else {
    walker.conv(name + ".conv1", width, 3, stride);
    walker.batch_norm(name + ".bn1", " + ReLU");
    walker.conv(name + ".conv2", width, 3, 1);
    walker.batch_norm(name + ".bn2", " + shortcut + ReLU");
  }
  if (stride != 1 || input.channels != out_channels) {
    const ActivationShape output = walker.shape();
    walker.set_shape(input);
    walker.conv(name + ".downsample.0", out_channels, 1, stride);
    walker.batch_norm(name + ".downsample.1", "");
    walker.set_shape(output);
  }
}

std::vector<SummaryRow> layer_rows(const ResNetConfig& config, int image_size) {
  IHD_CHECK(image_size >= 1, "summary: image size must be at least 1 pixel, got ", image_size);
  LayerWalker walker(image_size, config.input_channels);
  walker.conv("conv1", stem_width(config), 7, 2);
  walker.batch_norm("bn1", " + ReLU");
  walker.max_pool("maxpool");
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < config.stage_blocks[s]; ++b) {
      walk_block(walker, "layer" + std::to_string(s + 1) + "." + std::to_string(b), config.block,
                 stage_width(config, s), b == 0 ? stage_stride(s) : 1);
    }
  }
  walker.global_avg_pool("avgpool");
  if (config.head_hidden_units > 0) {
    walker.linear("fc.0", config.head_hidden_units, " + ReLU");
    walker.linear("fc.2", config.num_outputs);
  } else {
    walker.linear("fc", config.num_outputs);
  }
  return std::move(walker.rows());
}

// The block a layer row belongs to ("layer2.0" for "layer2.0.conv1"), or "" outside the stages.
std::string block_of(const std::string& layer_name) {
  if (layer_name.rfind("layer", 0) != 0) return "";
  const auto second_dot = layer_name.find('.', layer_name.find('.') + 1);
  return layer_name.substr(0, second_dot);
}

std::string block_kind(const ResNetConfig& config, int in_channels, const SummaryRow& block,
                       bool projection, int stride) {
  const std::string name = config.block == BlockKind::bottleneck ? "Bottleneck " : "BasicBlock ";
  return name + std::to_string(in_channels) + "->" + std::to_string(block.channels) + " /" +
         std::to_string(stride) + (projection ? " +projection" : "");
}

std::vector<SummaryRow> block_rows(const ResNetConfig& config, int image_size) {
  std::vector<SummaryRow> out;
  int block_input_channels = 0;
  bool projection = false;
  int stride = 1;
  for (const SummaryRow& row : layer_rows(config, image_size)) {
    const std::string block = block_of(row.name);
    if (block.empty()) {
      if (row.name == "bn1") {  // the stem: conv1 and bn1 in one row
        out.back().kind = "Conv2d 7x7/2 + BN + ReLU";
        out.back().parameters += row.parameters;
        continue;
      }
      out.push_back(row);
      continue;
    }
    if (out.back().name != block) {
      block_input_channels = out.back().channels;
      projection = false;
      stride = 1;
      out.push_back({block, "", 0, 0, 0, 0, 0});
    }
    SummaryRow& target = out.back();
    projection = projection || row.name.ends_with("downsample.0");
    if (row.kind.ends_with("/2")) stride = 2;
    if (!row.name.ends_with("downsample.0") && !row.name.ends_with("downsample.1")) {
      target.height = row.height;
      target.width = row.width;
      target.channels = row.channels;
    }
    target.parameters += row.parameters;
    target.multiply_adds += row.multiply_adds;
    target.kind = block_kind(config, block_input_channels, target, projection, stride);
  }
  return out;
}

// 25557032 -> "25,557,032".
std::string with_thousands(int64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::vector<SummaryRow> resnet_summary_rows(const ResNetConfig& config, int image_size,
                                            SummaryDetail detail) {
  return detail == SummaryDetail::layers ? layer_rows(config, image_size)
                                         : block_rows(config, image_size);
}

std::string resnet_summary(const ResNetConfig& config, int image_size, SummaryDetail detail) {
  const std::vector<SummaryRow> rows = resnet_summary_rows(config, image_size, detail);
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-24s %-36s %16s %12s %15s\n", "Layer", "Type",
                "Output (HxWxC)", "Parameters", "Multiply-adds");
  out += line;
  out += std::string(24 + 36 + 16 + 12 + 15 + 4, '-') + "\n";
  int64_t parameters = 0, multiply_adds = 0;
  for (const SummaryRow& row : rows) {
    const std::string shape = std::to_string(row.height) + "x" + std::to_string(row.width) + "x" +
                              std::to_string(row.channels);
    std::snprintf(line, sizeof line, "%-24s %-36s %16s %12s %15s\n", row.name.c_str(),
                  row.kind.c_str(), shape.c_str(), with_thousands(row.parameters).c_str(),
                  with_thousands(row.multiply_adds).c_str());
    out += line;
    parameters += row.parameters;
    multiply_adds += row.multiply_adds;
  }
  std::snprintf(line, sizeof line,
                "Input %dx%dx%d. Parameters: %s (%.2f M). Multiply-adds per image: %s (%.2f G).\n",
                image_size, image_size, config.input_channels, with_thousands(parameters).c_str(),
                parameters / 1e6, with_thousands(multiply_adds).c_str(), multiply_adds / 1e9);
  out += line;
  return out;
}

}  // namespace ihd
