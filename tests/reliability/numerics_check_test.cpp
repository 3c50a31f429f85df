// Numerical guards: the scans name the first parameter whose gradient or value is NaN or infinite,
// and ihd_train --check-numerics stops a diverging run at the step it diverged (exit code 3),
// naming the parameter and the step, where without the flag it stops only at the next loss.
#include "apps/pipeline/numerics_check.h"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "model/resnet.h"
#include "reliability_util.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

ResNet tiny_model() {
  ResNetConfig config = resnet_config(18);
  config.width_multiplier = 0.125;
  config.num_outputs = 1;
  return ResNet(config);
}

// The model's tensor called `name` (a handle sharing its storage).
Tensor tensor_named(const ResNet& model, const std::string& name) {
  for (const auto& [each, tensor] : model.state()) {
    if (each == name) return tensor;
  }
  FAIL("no tensor ", name);
  return {};
}

// Sets one value of `tensor` (host, float32).
void poison(Tensor tensor, int64_t index, float value) {
  std::vector<float> values = tensor.to_vector();
  values[static_cast<size_t>(index)] = value;
  tensor.copy_from(Tensor::from_vector(tensor.shape(), values));
}

// ihd_train's exit code; its stderr goes to `log`.
int run_ihd_train(const std::string& flags, const fs::path& log) {
  const std::string command =
      std::string(IHD_TRAIN_BINARY) + " " + flags + " > /dev/null 2> " + log.string();
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("reliability: the numerics scans name the first non-finite gradient or weight") {
  const ResNet model = tiny_model();
  CHECK_FALSE(pipeline::find_non_finite_weight(model).has_value());
  CHECK_FALSE(pipeline::find_non_finite_gradient(model).has_value());  // no gradients yet

  const Tensor conv = tensor_named(model, "layer2.0.conv1.weight");
  Tensor gradient = Tensor::zeros(conv.shape(), Device::cpu());
  poison(gradient, 5, std::numeric_limits<float>::quiet_NaN());
  conv.set_grad(gradient);
  const auto found_gradient = pipeline::find_non_finite_gradient(model);
  REQUIRE(found_gradient.has_value());
  CHECK(*found_gradient == "gradient of layer2.0.conv1.weight holds NaN (1 of " +
                               std::to_string(conv.numel()) + " values not finite)");

  poison(tensor_named(model, "layer1.1.bn2.running_var"), 0,
         std::numeric_limits<float>::infinity());
  const auto found_weight = pipeline::find_non_finite_weight(model);
  REQUIRE(found_weight.has_value());
  CHECK(found_weight->find("weight layer1.1.bn2.running_var holds inf") == 0);
}

TEST_CASE("reliability: ihd_train --check-numerics stops at the diverging step, naming it") {
  const fs::path dir = scratch_dir("check_numerics");
  // An infinite learning rate (1e39 overflows float32) turns the weights infinite at step 1.
  const std::string flags =
      "--synth-patients 4 --synth-slices 4 --arch resnet18 --width 0.125 "
      "--image-size 32 --batch 4 --epochs 1 --threads 2 --optimizer sgd "
      "--lr 1e39 --data-cache " +
      (dir / "data").string();
  REQUIRE(run_ihd_train(flags + " --check-numerics --out " + (dir / "checked").string(),
                        dir / "checked.log") == 3);
  const std::string checked = read_bytes(dir / "checked.log");
  CAPTURE(checked);
  CHECK(checked.find("ihd_train: stopped: weight ") == 0);
  CHECK(checked.find("after the update at step 1 (epoch 1, batch 0)") != std::string::npos);
  // Nothing was checkpointed before step 1: the message names no checkpoint that does not exist.
  CHECK(checked.find("no checkpoint was written before it") != std::string::npos);

  REQUIRE(run_ihd_train(flags + " --out " + (dir / "unchecked").string(), dir / "unchecked.log") ==
          3);
  const std::string unchecked = read_bytes(dir / "unchecked.log");
  CAPTURE(unchecked);
  CHECK(unchecked.find("ihd_train: stopped: loss is") == 0);
  CHECK(unchecked.find("at step 2") != std::string::npos);
}

}  // namespace ihd::reliability
