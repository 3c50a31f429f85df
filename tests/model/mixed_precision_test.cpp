// ResNet-50 (narrow) under bfloat16 autocast on the CPU against the same network in float32, from
// identical weights and inputs, in training mode.
//
// What can be compared, and how closely: bfloat16 keeps 8 significant bits, so each stored
// activation carries a relative error up to 2^-9, and a stage's output lands within a normalised
// error (a squared relative error) of a few 1e-4. Gradients differ more, for a reason that is not
// an error: an activation within rounding of zero can fall on the other side of a ReLU in one
// precision, which moves that element's whole gradient (one conv + batch norm: 1e-5 without the
// ReLU, 6e-4 with it), and batch statistics spread such differences; a bottleneck block's
// gradients land within a few 1e-2. A freshly initialised ResNet in training mode is moreover
// chaotic: batch statistics amplify any perturbation about threefold per stage, in float32 alone
// too (a 1% input perturbation grows to a normalised error of 0.4 by layer4), so whole-network
// results of two precisions are not comparable; stages and blocks are compared from the same
// input instead. A wrong kernel or gradient (a missed cast, a transposed operand, a wrong
// overload) is off by order 1. Elementary ops are checked tightly in tests/engine.
#include <doctest/doctest.h>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "model/resnet.h"
#include "ops/normalised_error.h"

namespace ihd {
namespace {

using testing::normalised_error;

ResNet narrow_resnet50() {
  ResNetConfig config = resnet_config(50);
  config.width_multiplier = 1.0 / 8;
  config.num_outputs = 2;
  return ResNet(config);
}

Tensor random_images(Random& generator) {
  Tensor images = Tensor::empty(Shape{4, 64, 64, 3});
  fill_normal(images, generator, 0.0f, 1.0f);
  return images;
}

}  // namespace

TEST_CASE("ResNet-50 stages under bfloat16 autocast in training mode: outputs") {
  ResNet model = narrow_resnet50();
  model.train();
  Random generator(4);
  const Tensor images = random_images(generator);
  NoGradGuard no_grad;
  // Each stage's input, rounded to bfloat16 so that both precisions start from the same values.
  Tensor input = max_pool2d(model.bn1->forward(model.conv1->forward(images), true), {});
  input = cast(cast(input, DType::bf16), DType::f32);
  for (const auto& stage : model.stages) {
    const Tensor reference = stage->forward(input);
    Tensor mixed;
    {
      AutocastGuard autocast(DType::bf16);
      mixed = stage->forward(input);
    }
    REQUIRE(mixed.dtype() == DType::bf16);
    const double error = normalised_error(reference, mixed);
    MESSAGE("stage output, normalised error: " << error);
    CHECK(error < 2e-3);
    CHECK(error > 0.0);
    input = cast(mixed, DType::f32);
  }
}

TEST_CASE("ResNet-50 bottleneck blocks under bfloat16 autocast: input and parameter gradients") {
  ResNet model = narrow_resnet50();
  model.train();
  Random generator(5);
  Tensor input;
  {
    NoGradGuard no_grad;
    input =
        max_pool2d(model.bn1->forward(model.conv1->forward(random_images(generator)), true), {});
  }
  for (const auto& stage : model.stages) {
    // The first block of each stage: strided (but in layer1) and with a projection shortcut.
    const ResidualBlock& block = *stage->blocks.front();
    input = cast(cast(input, DType::bf16), DType::f32);
    Tensor projection;
    auto gradients = [&](DType dtype) {
      Tensor x = input.detach();
      x.set_requires_grad(true);
      block.zero_grad();
      Tensor output;
      {
        AutocastGuard autocast(dtype);
        output = cast(block.forward(x), DType::f32);
      }
      if (!projection.defined()) {
        projection = Tensor::empty(output.shape());
        fill_normal(projection, generator, 0.0f, 1.0f);
      }
      sum(mul(output, projection)).backward();
      std::vector<NamedTensor> result{{"input", x.grad()}};
      for (const auto& named : block.named_parameters()) {
        result.emplace_back(named.first, named.second.grad());
      }
      return result;
    };
    const auto reference = gradients(DType::f32);
    const auto mixed = gradients(DType::bf16);
    double worst = 0.0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      INFO("gradient of " << reference[i].first);
      REQUIRE(mixed[i].second.dtype() == DType::f32);
      const double error = normalised_error(reference[i].second, mixed[i].second);
      worst = std::max(worst, error);
      CHECK(error < 1e-1);
    }
    MESSAGE("worst gradient, normalised error: " << worst);
    NoGradGuard no_grad;
    input = stage->forward(input);
  }
}

}  // namespace ihd
