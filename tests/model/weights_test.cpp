// Model weights in and out (model/weights.h): the save -> load round trip is bit-exact, the file
// holds PyTorch's OIHW layout, loading is all or nothing with an error that lists every problem,
// and a head of another size is replaced on request (fine-tuning from ImageNet weights).
#include "model/weights.h"

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "engine/autograd.h"
#include "engine/safetensors.h"
#include "model/resnet.h"

namespace ihd {
namespace {

std::string scratch_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "ihd_model_tests" / "weights";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

ResNetConfig small_config(int outputs, uint64_t seed) {
  ResNetConfig config = resnet_config(50);
  config.width_multiplier = 1.0 / 16;
  config.input_channels = 1;
  config.num_outputs = outputs;
  config.seed = seed;
  return config;
}

// Every state tensor's raw bytes, in state order.
std::vector<std::vector<char>> state_bytes(const Module& model) {
  std::vector<std::vector<char>> out;
  for (const auto& [name, tensor] : model.state()) {
    const char* data = static_cast<const char*>(tensor.raw_data());
    out.emplace_back(data, data + tensor.bytes());
  }
  return out;
}

// A load that must fail; returns its message and checks that the model did not change.
std::string failed_load(const ResNet& model, const std::string& path,
                        const WeightLoadOptions& options = {}) {
  const auto before = state_bytes(model);
  std::string message;
  try {
    load_weights(model, path, options);
  } catch (const Error& error) {
    message = error.what();
  }
  CHECK(state_bytes(model) == before);
  return message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("save -> load is bit-exact, running statistics and num_batches_tracked included") {
  ResNet source(small_config(6, 1));
  Tensor images = Tensor::empty(Shape{2, 40, 40, 1});
  Random generator(9);
  fill_normal(images, generator, 0.0f, 1.0f);
  source.train();
  source.forward(images);  // moves the running statistics and counts a batch
  const std::string path = scratch_file("round_trip.safetensors");
  save_weights(source, path, {{"epoch", "3"}});

  ResNet target(small_config(6, 2));
  REQUIRE(state_bytes(target) != state_bytes(source));
  const WeightLoadReport report = load_weights(target, path);
  CHECK(state_bytes(target) == state_bytes(source));
  CHECK(report.loaded.size() == source.state().size());
  CHECK(report.kept_initialised.empty());
  CHECK(*target.bn1->num_batches_tracked.data_i64() == 1);
  CHECK(read_safetensors(path).metadata.at("epoch") == "3");
}

TEST_CASE("the file holds convolution weights as PyTorch's OIHW") {
  ResNet model(small_config(6, 1));
  const std::string path = scratch_file("layout.safetensors");
  save_weights(model, path);
  const SafetensorsFile file = read_safetensors(path);
  const SafetensorsEntry& conv = file.at("layer1.0.conv2.weight");  // ours [4, 3, 3, 4]
  REQUIRE(conv.shape == Shape{4, 4, 3, 3});
  const std::vector<double> oihw = conv.to_doubles();
  const std::vector<float> ohwi = model.stages[0]->named_parameters()[3].second.to_vector();
  REQUIRE(model.stages[0]->named_parameters()[3].first == "0.conv2.weight");
  for (int o = 0; o < 4; ++o) {
    for (int i = 0; i < 4; ++i) {
      for (int h = 0; h < 3; ++h) {
        for (int w = 0; w < 3; ++w) {
          CHECK(oihw[((o * 4 + i) * 3 + h) * 3 + w] == ohwi[((o * 3 + h) * 3 + w) * 4 + i]);
        }
      }
    }
  }
  CHECK(file.at("fc.weight").shape == Shape{6, 128});
  CHECK(file.at("bn1.num_batches_tracked").dtype == "I64");
}

TEST_CASE("a file of another architecture is refused, listing missing and unexpected tensors") {
  ResNetConfig basic = small_config(6, 1);
  basic.block = BlockKind::basic;
  basic.stage_blocks = {2, 2, 2, 2};
  const std::string path = scratch_file("resnet18.safetensors");
  save_weights(ResNet(basic), path);
  const std::string message = failed_load(ResNet(small_config(6, 1)), path);
  CHECK(contains(message, path));
  CHECK(contains(message, "the model was left unchanged"));
  CHECK(contains(message, "missing from the file:\n    layer1.0.conv3.weight"));
  CHECK(contains(message, "shape or dtype differs"));
  CHECK(contains(message,
                 "layer1.0.conv1.weight: file has F32 [4, 4, 3, 3], model expects "
                 "float32 [4, 4, 1, 1]"));
  CHECK(contains(message, "more"));  // long lists are cut
}

TEST_CASE("a head of another size: refused by default, replaced with keep_initialised") {
  const std::string path = scratch_file("imagenet_like.safetensors");
  ResNet pretrained(small_config(1000, 1));
  save_weights(pretrained, path);

  ResNet model(small_config(1, 2));
  const std::string message = failed_load(model, path);
  CHECK(contains(message, "fc.weight: file has F32 [1000, 128], model expects float32 [1, 128]"));
  CHECK(contains(message, "HeadPolicy::keep_initialised"));

  const std::vector<float> head_before = model.fc->weight.to_vector();
  const WeightLoadReport report = load_weights(model, path, {.head = HeadPolicy::keep_initialised});
  CHECK(report.kept_initialised == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(report.ignored == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(model.fc->weight.to_vector() == head_before);
  CHECK(model.conv1->weight.to_vector() == pretrained.conv1->weight.to_vector());
  CHECK(model.stages[3]->state().front().second.to_vector() ==
        pretrained.stages[3]->state().front().second.to_vector());
}

TEST_CASE("ImageNet-style weights under the seed's MLP head (fc.0, fc.2)") {
  const std::string path = scratch_file("linear_head.safetensors");
  save_weights(ResNet(small_config(1000, 1)), path);
  ResNetConfig config = small_config(1, 2);
  config.head_hidden_units = 512;
  ResNet model(config);
  CHECK(contains(failed_load(model, path), "not in the model:\n    fc.weight\n    fc.bias"));
  const WeightLoadReport report = load_weights(model, path, {.head = HeadPolicy::keep_initialised});
  CHECK(report.kept_initialised ==
        std::vector<std::string>{"fc.0.weight", "fc.0.bias", "fc.2.weight", "fc.2.bias"});
  CHECK(report.ignored == std::vector<std::string>{"fc.weight", "fc.bias"});
}

}  // namespace
}  // namespace ihd
