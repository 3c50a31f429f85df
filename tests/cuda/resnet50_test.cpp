// The end-to-end check: one full ResNet-50 training step (forward, BCE loss, backward,
// SGD with momentum) on CUDA matches the same step on the CPU from identical weights, in float32
// with TF32 off: the loss, every one of the 161 parameter gradients, the running statistics and
// the updated parameters. Batch 2 at 64 x 64 keeps the CPU side to seconds; layer4 then sees
// 2 x 2 pixels, so its batch norms normalise over 8 values, a demanding case for the statistics.
#include "engine/optim/optimizer.h"
#include "model/resnet.h"
#include "twin.h"

namespace ihd::cuda_test {
namespace {

// Fifty layers of float32 products summed in different orders; gradients of the early layers
// collect the rounding of all later ones.
constexpr double kResNetTolerance = 1e-6;

double tensor_error(const Tensor& reference, const Tensor& value) {
  const std::vector<float> expected = reference.to_vector(), actual = value.to_vector();
  REQUIRE(expected.size() == actual.size());
  return normalised_error(expected, actual.data());
}

}  // namespace

TEST_CASE("resnet50: one training step matches on CPU and CUDA (fp32)") {
  IHD_SKIP_WITHOUT_GPU();
  ResNetConfig config = resnet_config(50);
  config.num_outputs = 1;
  config.seed = 11;
  ResNet cpu_model(config), cuda_model(config);
  cuda_model.to(Device::cuda());

  Generator data(12);
  Tensor images = Tensor::empty(Shape{2, 64, 64, 3});
  fill_normal(images, data, 0.0f, 1.0f);
  const Tensor labels = Tensor::from_vector(Shape{2, 1}, {1.0f, 0.0f});

  kernels::SgdHyper hyper;
  hyper.lr = 0.01f;
  hyper.momentum = 0.9f;
  hyper.weight_decay = 1e-4f;
  Sgd cpu_sgd(cpu_model.named_parameters(), hyper), cuda_sgd(cuda_model.named_parameters(), hyper);

  const Tensor cpu_loss = binary_cross_entropy_with_logits(cpu_model.forward(images), labels);
  const Tensor cuda_loss = binary_cross_entropy_with_logits(
      cuda_model.forward(images.to(Device::cuda())), labels.to(Device::cuda()));
  cpu_loss.backward();
  cuda_loss.backward();
  CHECK(cuda_loss.item() == doctest::Approx(cpu_loss.item()).epsilon(1e-4));

  const auto cpu_parameters = cpu_model.named_parameters();
  const auto cuda_parameters = cuda_model.named_parameters();
  REQUIRE(cpu_parameters.size() == cuda_parameters.size());
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    INFO("gradient of " << cpu_parameters[i].first);
    CHECK(tensor_error(cpu_parameters[i].second.grad(), cuda_parameters[i].second.grad()) <=
          kResNetTolerance);
  }
  const auto cpu_buffers = cpu_model.named_buffers(), cuda_buffers = cuda_model.named_buffers();
  for (std::size_t i = 0; i < cpu_buffers.size(); ++i) {
    if (cpu_buffers[i].second.dtype() != DType::f32) continue;
    INFO("buffer " << cpu_buffers[i].first);
    CHECK(tensor_error(cpu_buffers[i].second, cuda_buffers[i].second) <= kResNetTolerance);
  }
  cpu_sgd.step();
  cuda_sgd.step();
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    INFO("parameter after SGD: " << cpu_parameters[i].first);
    CHECK(tensor_error(cpu_parameters[i].second, cuda_parameters[i].second) <= kResNetTolerance);
  }
}

}  // namespace ihd::cuda_test
