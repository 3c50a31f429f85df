// End-to-end learning on the CPU: a tiny CNN (conv/BN/ReLU blocks with a residual, max pool,
// global pooling, linear head, BCE loss, Adam) learns to tell vertical from horizontal bars in
// noisy 12x12 images, and reaches high accuracy on images it never saw.
#include "engine/layers.h"
#include "engine/optim/optimizer.h"
#include "test_util.h"

namespace ihd {
namespace {

constexpr int kSize = 12;

// A batch of noisy images, each with one bar; label 1 for vertical bars.
void make_batch(Random& g, int batch, Tensor& images, Tensor& labels) {
  std::vector<float> pixels(static_cast<std::size_t>(batch) * kSize * kSize);
  std::vector<float> targets(batch);
  for (int n = 0; n < batch; ++n) {
    const bool vertical = g.unit() < 0.5;
    const int position = 1 + static_cast<int>(g.unit() * (kSize - 2));
    const int start = static_cast<int>(g.unit() * 4), length = 6 + static_cast<int>(g.unit() * 3);
    targets[n] = vertical ? 1.0f : 0.0f;
    float* image = pixels.data() + static_cast<std::size_t>(n) * kSize * kSize;
    for (int i = 0; i < kSize * kSize; ++i) image[i] = static_cast<float>(0.3 * g.normal());
    for (int k = start; k < start + length; ++k) {
      const int row = vertical ? k : position, col = vertical ? position : k;
      image[row * kSize + col] += 1.0f;
    }
  }
  images = Tensor::from_vector(Shape{batch, kSize, kSize, 1}, pixels);
  labels = Tensor::from_vector(Shape{batch, 1}, targets);
}

struct TinyCnn : Module {
  explicit TinyCnn(Random& g)
      : conv1(register_module("conv1", std::make_shared<Conv2d>(1, 8, 3, 1, 1, false, g))),
        bn1(register_module("bn1", std::make_shared<BatchNorm2d>(8))),
        conv2(register_module("conv2", std::make_shared<Conv2d>(8, 8, 3, 1, 1, false, g))),
        bn2(register_module("bn2", std::make_shared<BatchNorm2d>(8))),
        fc(register_module("fc", std::make_shared<Linear>(8, 1, true, g))) {}

  Tensor forward(const Tensor& x) const {
    const Tensor stem = max_pool2d(bn1->forward(conv1->forward(x), true), MaxPool2dOptions{});
    const Tensor block = bn2->forward(conv2->forward(stem), true, stem);
    return fc->forward(global_avg_pool(block));
  }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Linear> fc;
};

}  // namespace

TEST_CASE("a tiny CNN learns vertical-versus-horizontal bars to high accuracy") {
  Random g(2024);
  TinyCnn model(g);
  kernels::AdamHyper hyper;
  hyper.lr = 0.01f;
  Adam adam(model.named_parameters(), hyper);
  Tensor images, labels;
  float first_loss = 0.0f, last_loss = 0.0f;
  for (int step = 0; step < 150; ++step) {
    make_batch(g, 32, images, labels);
    adam.zero_grad();
    const Tensor loss = binary_cross_entropy_with_logits(model.forward(images), labels);
    loss.backward();
    adam.step();
    if (step == 0) first_loss = loss.item();
    last_loss = loss.item();
  }
  CHECK(last_loss < 0.5f * first_loss);

  model.eval();
  NoGradGuard no_grad;
  make_batch(g, 400, images, labels);
  const std::vector<float> logits = model.forward(images).to_vector();
  const std::vector<float> truth = labels.to_vector();
  int correct = 0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    correct += (logits[i] > 0.0f) == (truth[i] > 0.5f);
  CHECK(correct >= 0.95 * 400);
}

}  // namespace ihd
