// Parity with PyTorch on the committed reduced-width fixtures (tests/fixtures/model, written by
// make_resnet_reference.py): a resnet50-shaped bottleneck net at 1/32 width with one input channel,
// six outputs and an MLP head, and a resnet18-shaped basic-block net at 1/32 width. See parity.h
// for the rule; these run everywhere, PyTorch or not.
#include "parity.h"

namespace ihd::testing {
namespace {

const std::string kFixtures = std::string(IHD_TEST_FIXTURES_DIR) + "/model";

TEST_CASE("a reduced-width bottleneck ResNet matches PyTorch in eval, train and gradients") {
  check_parity_with_pytorch(kFixtures, "tiny_resnet50");
}

TEST_CASE("a reduced-width basic-block ResNet matches PyTorch in eval, train and gradients") {
  check_parity_with_pytorch(kFixtures, "tiny_resnet18");
}

TEST_CASE("PyTorch's num_batches_tracked loads as int64 and counts our training steps") {
  const SafetensorsFile reference =
      read_safetensors(kFixtures + "/tiny_resnet18.reference.safetensors");
  ResNet model(config_from_metadata(reference));
  load_weights(model, kFixtures + "/tiny_resnet18.weights.safetensors");
  // The script calibrated the running statistics on three batches; one training step makes four.
  auto check_batches_tracked = [&](int64_t expected) {
    for (const auto& [name, buffer] : model.named_buffers()) {
      if (!name.ends_with("num_batches_tracked")) continue;
      CAPTURE(name);
      CHECK(*buffer.data_i64() == expected);
    }
  };
  check_batches_tracked(3);
  model.train();
  model.forward(reference.at("input").to_tensor());
  check_batches_tracked(4);
}

}  // namespace
}  // namespace ihd::testing
