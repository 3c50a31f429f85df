// Engine-level parity: a small residual network with every op of ResNet-50 (strided conv stem,
// BN + ReLU, max pool, a bottleneck block with a projection shortcut and the fused BN + residual
// + ReLU tail, global pooling, linear head, BCE loss) runs one training step on the CPU and on
// CUDA from identical weights; the loss, every parameter's gradient, the updated running
// statistics and the parameters after an SGD step must agree.
#include "engine/layers.h"
#include "engine/random.h"
#include "training_step.h"

namespace ihd::cuda_test {
namespace {

// Products of up to ~300 terms, a dozen layers deep, in float32 with TF32 off.
constexpr double kNetworkTolerance = 1e-8;

struct SmallResidualNetwork : Module {
  explicit SmallResidualNetwork(Random& g)
      : stem(register_module("stem", std::make_shared<Conv2d>(3, 8, 3, 2, 1, false, g))),
        stem_bn(register_module("stem_bn", std::make_shared<BatchNorm2d>(8))),
        reduce(register_module("reduce", std::make_shared<Conv2d>(8, 4, 1, 1, 0, false, g))),
        reduce_bn(register_module("reduce_bn", std::make_shared<BatchNorm2d>(4))),
        spatial(register_module("spatial", std::make_shared<Conv2d>(4, 4, 3, 2, 1, false, g))),
        spatial_bn(register_module("spatial_bn", std::make_shared<BatchNorm2d>(4))),
        expand(register_module("expand", std::make_shared<Conv2d>(4, 12, 1, 1, 0, false, g))),
        expand_bn(register_module("expand_bn", std::make_shared<BatchNorm2d>(12))),
        shortcut(register_module("shortcut", std::make_shared<Conv2d>(8, 12, 1, 2, 0, false, g))),
        shortcut_bn(register_module("shortcut_bn", std::make_shared<BatchNorm2d>(12))),
        head(register_module("head", std::make_shared<Linear>(12, 3, true, g))) {}

  Tensor forward(const Tensor& x) const {
    const Tensor stem_out =
        max_pool2d(stem_bn->forward(stem->forward(x), true), MaxPool2dOptions{});
    const Tensor projected = shortcut_bn->forward(shortcut->forward(stem_out));
    const Tensor reduced = reduce_bn->forward(reduce->forward(stem_out), true);
    const Tensor spatial_out = spatial_bn->forward(spatial->forward(reduced), true);
    const Tensor block = expand_bn->forward(expand->forward(spatial_out), true, projected);
    return head->forward(global_avg_pool(block));
  }

  std::shared_ptr<Conv2d> stem;
  std::shared_ptr<BatchNorm2d> stem_bn;
  std::shared_ptr<Conv2d> reduce;
  std::shared_ptr<BatchNorm2d> reduce_bn;
  std::shared_ptr<Conv2d> spatial;
  std::shared_ptr<BatchNorm2d> spatial_bn;
  std::shared_ptr<Conv2d> expand;
  std::shared_ptr<BatchNorm2d> expand_bn;
  std::shared_ptr<Conv2d> shortcut;
  std::shared_ptr<BatchNorm2d> shortcut_bn;
  std::shared_ptr<Linear> head;
};

}  // namespace

TEST_CASE("network: one training step of a small residual network matches on CPU and CUDA") {
  IHD_SKIP_WITHOUT_GPU();
  Random cpu_weights(7), cuda_weights(7);
  SmallResidualNetwork cpu_model(cpu_weights), cuda_model(cuda_weights);
  cuda_model.to(Device::cuda());

  Random data(8);
  Tensor images = Tensor::empty(Shape{3, 29, 27, 3});
  fill_normal(images, data, 0.5f, 1.0f);
  Tensor labels = Tensor::empty(Shape{3, 3});
  fill_uniform(labels, data, 0.0f, 1.0f);

  check_training_step_on_both(
      cpu_model, cuda_model, [&](const Tensor& x) { return cpu_model.forward(x); },
      [&](const Tensor& x) { return cuda_model.forward(x); }, images, labels, 0.1f, 1e-5,
      kNetworkTolerance);
}

}  // namespace ihd::cuda_test
