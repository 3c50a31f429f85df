// The ResNet builder against torchvision: parameter counts, the state_dict's names, order, dtypes
// and shapes (listed by make_resnet_reference.py from torchvision itself), torchvision's
// initialisation, the options (channels, outputs, MLP head, zero-init residual) and freezing.
#include "model/resnet.h"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "model/weights.h"

namespace ihd {
namespace {

// "name DTYPE size size ..." per tensor, in torch's state_dict order.
std::vector<std::string> state_listing(const Module& model) {
  std::vector<std::string> lines;
  for (const auto& [name, tensor] : model.state()) {
    std::string line = name + (tensor.dtype() == DType::i64 ? " I64" : " F32");
    const Tensor on_disk = to_torch_layout(tensor);
    for (int64_t size : on_disk.shape().sizes()) {
      line += ' ';
      line += std::to_string(size);
    }
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> torchvision_listing(const std::string& model_name) {
  std::ifstream in(std::string(IHD_TEST_FIXTURES_DIR) + "/model/" + model_name + "_state_dict.txt");
  REQUIRE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

double standard_deviation(const Tensor& tensor) {
  const std::vector<float> values = tensor.to_vector();
  double sum = 0.0, squares = 0.0;
  for (float v : values) sum += v, squares += double(v) * v;
  const double mean = sum / values.size();
  return std::sqrt(squares / values.size() - mean * mean);
}

ResNetConfig tiny_config(int depth) {
  ResNetConfig config = resnet_config(depth);
  config.width_multiplier = 1.0 / 16;
  config.num_outputs = 2;
  return config;
}

TEST_CASE("parameter counts are torchvision's") {
  CHECK(ResNet(resnet_config(50)).parameter_count() == 25'557'032);
  CHECK(ResNet(resnet_config(18)).parameter_count() == 11'689'512);
  CHECK(ResNet(resnet_config(34)).parameter_count() == 21'797'672);
}

TEST_CASE("state names, order, dtypes and shapes are torchvision's state_dict") {
  CHECK(state_listing(ResNet(resnet_config(50))) == torchvision_listing("resnet50"));
  CHECK(state_listing(ResNet(resnet_config(18))) == torchvision_listing("resnet18"));
}

TEST_CASE("only depths 18, 34, 50, 101 and 152 exist") {
  CHECK_THROWS_AS(resnet_config(42), Error);
  CHECK(resnet_config(101).stage_blocks == std::array<int, 4>{3, 4, 23, 3});
  CHECK(resnet_config(152).stage_blocks == std::array<int, 4>{3, 8, 36, 3});
}

TEST_CASE("initialisation is torchvision's: Kaiming normal fan_out, BN 1 and 0, Linear default") {
  ResNet model(resnet_config(18));
  // layer4.1.conv2: 512 x 3 x 3 fan_out, 2.4 M draws: the sample deviation is within 1%.
  const double expected_std = std::sqrt(2.0 / (512 * 3 * 3));
  const auto block = std::dynamic_pointer_cast<BasicBlock>(model.stages[3]->blocks[1]);
  REQUIRE(block);
  CHECK(standard_deviation(block->conv2->weight) == doctest::Approx(expected_std).epsilon(0.01));
  CHECK(standard_deviation(model.conv1->weight) ==
        doctest::Approx(std::sqrt(2.0 / (64 * 7 * 7))).epsilon(0.02));
  for (const auto& [name, tensor] : model.named_parameters()) {
    if (name.find("bn") == std::string::npos && name.find("downsample.1") == std::string::npos) {
      continue;
    }
    CAPTURE(name);
    const std::vector<float> values = tensor.to_vector();
    const float expected = name.ends_with("weight") ? 1.0f : 0.0f;
    CHECK(std::all_of(values.begin(), values.end(), [&](float v) { return v == expected; }));
  }
  // PyTorch's Linear default: uniform in +-1/sqrt(fan_in), so the deviation is bound / sqrt(3).
  CHECK(standard_deviation(model.fc->weight) ==
        doctest::Approx(1.0 / std::sqrt(512.0) / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("the same seed gives the same weights, another seed other weights") {
  ResNetConfig config = tiny_config(50);
  const std::vector<float> first = ResNet(config).conv1->weight.to_vector();
  CHECK(ResNet(config).conv1->weight.to_vector() == first);
  config.seed = 1;
  CHECK(ResNet(config).conv1->weight.to_vector() != first);
}

TEST_CASE("zero_init_residual zeroes the last BN gamma of every block and nothing else") {
  ResNetConfig config = tiny_config(50);
  config.zero_init_residual = true;
  ResNet model(config);
  int zeroed = 0;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const std::vector<float> values = tensor.to_vector();
    if (std::all_of(values.begin(), values.end(), [](float v) { return v == 0.0f; }) &&
        name.ends_with("weight")) {
      CAPTURE(name);
      CHECK(name.ends_with("bn3.weight"));
      ++zeroed;
    }
  }
  CHECK(zeroed == 16);
  config.block = BlockKind::basic;
  config.stage_blocks = {2, 2, 2, 2};
  const ResNet basic(config);
  const auto block = std::dynamic_pointer_cast<BasicBlock>(basic.stages[0]->blocks[0]);
  REQUIRE(block);
  CHECK(block->bn2->weight.to_vector() == std::vector<float>(4, 0.0f));
  CHECK(block->bn1->weight.to_vector() == std::vector<float>(4, 1.0f));
}

TEST_CASE("options: one input channel, six outputs, MLP head with torch.nn.Sequential names") {
  ResNetConfig config = resnet_config(50);
  config.input_channels = 1;
  config.num_outputs = 6;
  config.head_hidden_units = 512;
  config.width_multiplier = 1.0 / 8;
  ResNet model(config);
  const auto state = model.state();
  CHECK(state.front().first == "conv1.weight");
  CHECK(state.front().second.shape() == Shape{8, 7, 7, 1});
  const auto parameters = model.named_parameters();
  const std::size_t n = parameters.size();
  CHECK(parameters[n - 4].first == "fc.0.weight");
  CHECK(parameters[n - 4].second.shape() == Shape{512, 256});
  CHECK(parameters[n - 2].first == "fc.2.weight");
  CHECK(parameters[n - 1].second.shape() == Shape{6});

  Random generator(3);
  Tensor images = Tensor::empty(Shape{2, 180, 180, 1});
  fill_normal(images, generator, 0.0f, 1.0f);
  model.eval();
  NoGradGuard no_grad;
  CHECK(model.forward(images).shape() == Shape{2, 6});
  CHECK(model.features(images).shape() == Shape{2, 256});
  CHECK_THROWS_AS(model.forward(Tensor::zeros(Shape{2, 64, 64, 3})), Error);
}

TEST_CASE("a frozen backbone gets no gradients and keeps its BN in evaluation mode") {
  ResNet model(tiny_config(18));
  Random generator(5);
  Tensor images = Tensor::empty(Shape{4, 32, 32, 3});
  fill_normal(images, generator, 0.0f, 1.0f);
  const Tensor targets = Tensor::from_vector(Shape{4, 2}, {1, 0, 0, 1, 1, 1, 0, 0});

  model.freeze_backbone();
  model.train();
  CHECK(model.is_training());
  CHECK(!model.bn1->is_training());
  CHECK(!model.stages[2]->blocks[0]->is_training());
  CHECK(model.fc->is_training());
  const auto trainable = model.trainable_parameters();
  REQUIRE(trainable.size() == 2);
  CHECK(trainable[0].first == "fc.weight");

  // With the backbone in evaluation mode, a training step uses and keeps the running statistics.
  model.bn1->running_mean.fill(0.25f);
  const std::vector<float> running_before = model.bn1->running_mean.to_vector();
  Tensor frozen_logits = model.forward(images);
  binary_cross_entropy_with_logits(frozen_logits, targets).backward();
  CHECK(model.bn1->running_mean.to_vector() == running_before);
  CHECK(*model.bn1->num_batches_tracked.data_i64() == 0);
  CHECK(!model.conv1->weight.grad().defined());
  CHECK(!std::dynamic_pointer_cast<BasicBlock>(model.stages[3]->blocks[1])
             ->conv2->weight.grad()
             .defined());
  CHECK(model.fc->weight.grad().defined());
  {
    // The same logits as the whole model in evaluation mode, bit for bit: with gradients on, so
    // that its batch norms run unfolded as the frozen step ran them (folded inference rounds
    // differently: folded_inference_test.cpp).
    model.eval();
    CHECK(model.forward(images).to_vector() == frozen_logits.to_vector());
  }

  model.freeze_backbone(false);
  model.train();
  CHECK(model.bn1->is_training());
  CHECK(model.trainable_parameters().size() == model.named_parameters().size());
  binary_cross_entropy_with_logits(model.forward(images), targets).backward();
  CHECK(model.conv1->weight.grad().defined());
  CHECK(model.bn1->running_mean.to_vector() != running_before);
}

}  // namespace
}  // namespace ihd
