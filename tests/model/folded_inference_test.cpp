// Folded batch norm inference (engine/conv_batch_norm_fold.h, as model/resnet.h runs it): in
// evaluation without gradients every conv + BN (+ shortcut) (+ ReLU) is one convolution on folded
// weights. Checked against the unfolded evaluation forward (the same model with gradients on,
// which runs the layers as they are): logits within 1e-5 relative (||folded - unfolded|| /
// ||unfolded||), the feature map within 3e-5, on random batch-norm statistics far from the
// identity, for ResNet-18 and ResNet-50 shapes; on the committed tiny fixtures, as close to
// PyTorch's float64 truth as unfolded; never stale after a weight or statistic changes
// (copy_from, fill, an optimizer step, load_weights, a raw write followed by train()); and
// training untouched, bit for bit, against the layers run by hand as the ResNet ran them before
// folding existed. In bfloat16 (autocast) the folded forward is as close to the float32 forward
// as the unfolded bfloat16 one (the two round in different places: bounds below).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "engine/random.h"
#include "engine/safetensors.h"
#include "model/resnet.h"
#include "model/weights.h"
#include "parity.h"

namespace ihd {
namespace {

const std::string kFixtures = std::string(IHD_TEST_FIXTURES_DIR) + "/model";
constexpr double kFoldTolerance = 1e-5;
// The feature map before the global pool averages it (ResNet-50: 2048 channels of a 2 x 2 map)
// carries more of the summation-order noise than the logits: 1.2e-5 measured on an AVX2 machine
// (oneDNN's AVX2 kernels sum in another order than on AVX-512, where it stays below 1e-5).
constexpr double kFeatureMapTolerance = 3e-5;

double relative_difference(const Tensor& ours, const Tensor& truth) {
  const std::vector<float> a = ours.to_vector(), b = truth.to_vector();
  REQUIRE(a.size() == b.size());
  double difference = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  REQUIRE(norm > 0.0);
  return std::sqrt(difference / norm);
}

// Evaluation mode is the caller's; gradients on makes every fold run its two layers.
Tensor unfolded(const ResNet& model, const Tensor& images) {
  REQUIRE(grad_enabled());
  return model.forward(images);
}
Tensor folded(const ResNet& model, const Tensor& images) {
  NoGradGuard no_grad;
  REQUIRE(model.stem_fold->applies_to(images));
  return model.forward(images);
}

void check_fold_matches(const ResNet& model, const Tensor& images) {
  const double logits = relative_difference(folded(model, images), unfolded(model, images));
  Tensor folded_map;
  {
    NoGradGuard no_grad;
    folded_map = model.feature_map(images);
  }
  const double feature_map = relative_difference(folded_map, model.feature_map(images));
  CAPTURE(logits);
  CAPTURE(feature_map);
  CHECK(logits < kFoldTolerance);
  CHECK(feature_map < kFeatureMapTolerance);
}

ResNetConfig tiny_config(int depth, uint64_t seed) {
  ResNetConfig config = resnet_config(depth);
  config.width_multiplier = 1.0 / 8;
  config.num_outputs = 3;
  config.seed = seed;
  return config;
}

Tensor random_images(int batch, int size, int channels, uint64_t seed) {
  Random generator(seed);
  Tensor images = Tensor::empty(Shape{batch, size, size, channels});
  fill_normal(images, generator, 0.0f, 1.0f);
  return images;
}

// Every batch norm's statistics and affine far from (0, 1, 1, 0): means of either sign and a few
// units, variances from 0.02 to 20, gammas of either sign, betas of a unit.
void randomise_batch_norms(ResNet& model, uint64_t seed) {
  Random generator(seed);
  model.for_each_module([&](Module& module) {
    auto* bn = dynamic_cast<BatchNorm2d*>(&module);
    if (!bn) return;
    const int64_t channels = bn->weight.numel();
    std::vector<float> mean(channels), var(channels), gamma(channels), beta(channels);
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = static_cast<float>(2.0 * generator.normal());
      var[c] = static_cast<float>(std::exp(generator.uniform(std::log(0.02), std::log(20.0))));
      gamma[c] = static_cast<float>((generator.uniform(0.0, 1.0) < 0.2 ? -1.0 : 1.0) *
                                    generator.uniform(0.3, 1.5));
      beta[c] = static_cast<float>(generator.normal());
    }
    const Shape shape{channels};
    bn->running_mean.copy_from(Tensor::from_vector(shape, mean));
    bn->running_var.copy_from(Tensor::from_vector(shape, var));
    bn->weight.copy_from(Tensor::from_vector(shape, gamma));
    bn->bias.copy_from(Tensor::from_vector(shape, beta));
  });
}

// The ResNet's forward as it was before folding: each conv and batch norm as a layer of its own.
Tensor forward_layer_by_layer(const ResNet& model, const Tensor& images) {
  Tensor x = model.bn1->forward(model.conv1->forward(images), /*relu=*/true);
  x = max_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1});
  for (const auto& stage : model.stages) {
    for (const auto& block : stage->blocks) {
      const auto& b = dynamic_cast<const BasicBlock&>(*block);
      const Tensor shortcut =
          b.downsample ? b.downsample->bn->forward(b.downsample->conv->forward(x)) : x;
      const Tensor out = b.bn1->forward(b.conv1->forward(x), /*relu=*/true);
      x = b.bn2->forward(b.conv2->forward(out), /*relu=*/true, shortcut);
    }
  }
  return model.head(global_avg_pool(x));
}

std::vector<std::vector<float>> state_values(const Module& model) {
  std::vector<std::vector<float>> values;
  for (const auto& [name, tensor] : model.state()) {
    if (tensor.dtype() == DType::f32) values.push_back(tensor.to_vector());
  }
  return values;
}

}  // namespace

// The committed fixtures sit at float32's noise floor: PyTorch's own float32 logits are 1.1e-5
// and 1.3e-5 from the float64 truth, and so are ours unfolded. Two float32 runs that far from the
// truth can be 2e-5 apart, so here the fold must cost no accuracy against the float64 truth
// (within 1.5x the unfolded error or PyTorch's, whichever is larger) and stay within 3e-5 of the
// unfolded run; the 1e-5 bar is held where float32 is well conditioned (the next case).
TEST_CASE("folded inference is as close to PyTorch's float64 truth as the unfolded forward") {
  for (const std::string case_name : {"tiny_resnet18", "tiny_resnet50"}) {
    CAPTURE(case_name);
    const SafetensorsFile reference =
        read_safetensors(kFixtures + "/" + case_name + ".reference.safetensors");
    ResNet model(testing::config_from_metadata(reference));
    load_weights(model, kFixtures + "/" + case_name + ".weights.safetensors");
    model.eval();
    const Tensor images = reference.at("input").to_tensor();
    const Tensor folded_logits = folded(model, images);
    const Tensor unfolded_logits = unfolded(model, images);
    const std::vector<double> truth = reference.at("f64.eval.logits").to_doubles();
    const double folded_error = testing::relative_error(folded_logits.to_vector(), truth);
    const double unfolded_error = testing::relative_error(unfolded_logits.to_vector(), truth);
    const double torch_error = reference.at("torch_f32_error.eval.logits").to_doubles().at(0);
    const double apart = relative_difference(folded_logits, unfolded_logits);
    MESSAGE(case_name, " logits from the float64 truth: folded ", folded_error, ", unfolded ",
            unfolded_error, ", PyTorch float32 ", torch_error, "; folded from unfolded ", apart);
    CHECK(folded_error <= 1.5 * std::max(unfolded_error, torch_error));
    CHECK(apart < 3e-5);
  }
}

TEST_CASE("folded inference matches with batch-norm statistics far from the identity") {
  for (const int depth : {18, 50}) {
    CAPTURE(depth);
    ResNet model(tiny_config(depth, 3));
    randomise_batch_norms(model, 17);
    model.eval();
    // A map of 64 pixels: 3x3 layers of 16x16 and 8x8 (Winograd and direct on AVX-512).
    check_fold_matches(model, random_images(3, 64, 3, 5));
    // Another batch size: prepared again for the new shape, the first one kept.
    check_fold_matches(model, random_images(2, 64, 3, 6));
    check_fold_matches(model, random_images(3, 64, 3, 5));
  }
}

// Both bfloat16 forwards round at every layer, in different places (unfolded: the convolution's
// output, then the batch norm's; folded: the folded weights once, then each fused output), so
// neither is the other's reference: each is compared with the float32 forward, and the folded one
// must be no further from it than 1.5x the unfolded one's distance, and within 5e-2 relative (a
// few bfloat16 steps, 2^-8, through the depth of the network).
TEST_CASE("bfloat16 folded inference is as close to float32 as the unfolded bfloat16 forward") {
  for (const int depth : {18, 50}) {
    CAPTURE(depth);
    ResNet model(tiny_config(depth, 3));
    randomise_batch_norms(model, 17);
    model.eval();
    const Tensor images = random_images(3, 64, 3, 5);
    const Tensor float32_logits = folded(model, images);
    Tensor folded_logits, unfolded_logits;
    {
      AutocastGuard bfloat16(DType::bf16);
      folded_logits = cast(folded(model, images), DType::f32);
      unfolded_logits = cast(unfolded(model, images), DType::f32);
    }
    const double folded_error = relative_difference(folded_logits, float32_logits);
    const double unfolded_error = relative_difference(unfolded_logits, float32_logits);
    MESSAGE("ResNet-", depth, " bfloat16 logits from float32: folded ", folded_error, ", unfolded ",
            unfolded_error);
    CHECK(folded_error > 1e-4);  // it ran in bfloat16
    CHECK(folded_error <= 1.5 * unfolded_error);
    CHECK(folded_error < 5e-2);
  }
}

TEST_CASE("folded weights follow every change of a weight or statistic, never stale") {
  ResNet model(tiny_config(18, 4));
  randomise_batch_norms(model, 21);
  const Tensor images = random_images(2, 32, 3, 8);
  model.eval();
  auto check_changed_and_current = [&](const Tensor& before) {
    const Tensor now = folded(model, images);
    CHECK(relative_difference(now, before) > 1e-3);
    CHECK(relative_difference(now, unfolded(model, images)) < kFoldTolerance);
    return now;
  };
  Tensor last = folded(model, images);
  const BasicBlock& block = dynamic_cast<const BasicBlock&>(*model.stages[1]->blocks[0]);

  SUBCASE("copy_from into a convolution weight") {
    model.conv1->weight.copy_from(scale(model.conv1->weight, 1.5f).detach());
    last = check_changed_and_current(last);
  }
  SUBCASE("fill of running statistics, in a block and in its projection shortcut") {
    block.bn2->running_var.fill(0.25f);
    last = check_changed_and_current(last);
    block.downsample->bn->running_mean.fill(0.5f);
    last = check_changed_and_current(last);
  }
  SUBCASE("a raw write marked modified") {
    block.bn1->weight.data()[0] = -3.0f;
    block.bn1->weight.mark_modified();
    last = check_changed_and_current(last);
  }
  SUBCASE("an optimizer step, in evaluation mode") {
    model.train();
    binary_cross_entropy_with_logits(model.forward(images), Tensor::zeros(Shape{2, 3})).backward();
    model.eval();
    last = folded(model, images);  // folded from the weights before the step
    Sgd optimizer(model.named_parameters(), {.lr = 0.5f});
    optimizer.step();
    last = check_changed_and_current(last);
  }
  SUBCASE("load_weights") {
    const std::string path =
        (std::filesystem::temp_directory_path() / "ihd_folded_inference_weights.safetensors")
            .string();
    ResNet other(tiny_config(18, 5));
    randomise_batch_norms(other, 22);
    save_weights(other, path);
    load_weights(model, path);
    std::filesystem::remove(path);
    last = check_changed_and_current(last);
  }
  SUBCASE("train() drops the folded weights: even an unmarked raw write is seen") {
    float* weight = block.conv2->weight.data();
    for (int64_t i = 0; i < block.conv2->weight.numel(); ++i) weight[i] *= 1.5f;
    model.train();
    model.eval();
    last = check_changed_and_current(last);
  }
}

TEST_CASE("training is bit-identical to the layers run one by one, folded inference in between") {
  ResNet folding(tiny_config(18, 9)), by_layers(tiny_config(18, 9));
  const Tensor images = random_images(4, 32, 3, 10);
  const Tensor targets = Tensor::from_vector(Shape{4, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0});
  Sgd folding_optimizer(folding.named_parameters(), {.lr = 0.05f, .momentum = 0.9f});
  Sgd by_layers_optimizer(by_layers.named_parameters(), {.lr = 0.05f, .momentum = 0.9f});
  for (int step = 0; step < 3; ++step) {
    folding.train();
    folding_optimizer.zero_grad();
    binary_cross_entropy_with_logits(folding.forward(images), targets).backward();
    folding_optimizer.step();
    by_layers.train();
    by_layers_optimizer.zero_grad();
    binary_cross_entropy_with_logits(forward_layer_by_layer(by_layers, images), targets).backward();
    by_layers_optimizer.step();
    CHECK(state_values(folding) == state_values(by_layers));
    folding.eval();
    folded(folding, images);  // folds, and must leave the training state alone
  }
}

}  // namespace ihd
