// The end-to-end check: one full ResNet-50 training step (forward, BCE loss, backward,
// SGD with momentum) on CUDA matches the same step on the CPU from identical weights, in float32
// with TF32 off: the loss, every one of the 161 parameter gradients, the running statistics and
// the updated parameters. Batch 2 at 64 x 64 keeps the CPU side to seconds; layer4 then sees
// 2 x 2 pixels, so its batch norms normalise over 8 values, a demanding case for the statistics.
#include "model/resnet.h"
#include "training_step.h"

namespace ihd::cuda_test {
namespace {

// Fifty layers of float32 products summed in different orders; gradients of the early layers
// collect the rounding of all later ones.
constexpr double kResNetTolerance = 1e-6;

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

  check_training_step_on_both(
      cpu_model, cuda_model, [&](const Tensor& x) { return cpu_model.forward(x); },
      [&](const Tensor& x) { return cuda_model.forward(x); }, images, labels, 0.01f, 1e-4,
      kResNetTolerance);
}

}  // namespace ihd::cuda_test
