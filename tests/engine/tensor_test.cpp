// Tensor basics: factories, copies, views sharing storage, shape checks, the caching allocator.
#include "engine/batch_uploader.h"
#include "engine/module.h"
#include "test_util.h"

namespace ihd {

TEST_CASE("factories, item, clone and views") {
  const Tensor t = Tensor::from_vector(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.bytes() == 24);
  CHECK(Tensor::zeros(Shape{4}).to_vector() == std::vector<float>(4, 0.0f));
  CHECK(Tensor::full(Shape{2}, 7.5f).to_vector() == std::vector<float>{7.5f, 7.5f});
  CHECK(Tensor::scalar(3.0f).item() == 3.0f);
  const Tensor copy = t.clone();
  copy.data()[0] = 100.0f;
  CHECK(t.to_vector()[0] == 1.0f);
  const Tensor view = t.view(Shape{3, 2});
  view.data()[5] = -1.0f;
  CHECK(t.to_vector()[5] == -1.0f);
  CHECK_THROWS_AS(t.view(Shape{4}), Error);
  CHECK_THROWS_AS(Tensor::from_vector(Shape{2}, {1, 2, 3}), Error);
  CHECK_THROWS_AS(t.item(), Error);
}

TEST_CASE("devices parse, and CUDA tensors fail cleanly where CUDA is absent") {
  CHECK(Device::parse("cpu").is_cpu());
  CHECK(Device::parse("cuda:1") == Device::cuda(1));
  CHECK_THROWS_AS(Device::parse("gpu"), Error);
  CHECK_THROWS_AS(Device::parse("cuda:x"), Error);
  if (!cuda_available()) {
    CHECK_THROWS_AS(Tensor::zeros(Shape{2}, Device::cuda()), Error);
    const char* expected = cuda_compiled() ? "no usable CUDA GPU" : "no CUDA backend";
    CHECK_THROWS_WITH_AS(Tensor::zeros(Shape{2}, Device::cuda(1)), doctest::Contains(expected),
                         Error);
  }
}

TEST_CASE("the caching allocator reuses freed blocks and tracks peak bytes") {
  const Device cpu = Device::cpu();
  const std::size_t in_use = memory_stats(cpu).in_use_bytes;
  reset_peak_memory(cpu);
  void* first_block = nullptr;
  {
    const Tensor t = Tensor::empty(Shape{1000, 1000});
    first_block = t.raw_data();
    CHECK(memory_stats(cpu).in_use_bytes == in_use + 4000000);
  }
  CHECK(memory_stats(cpu).in_use_bytes == in_use);
  CHECK(memory_stats(cpu).peak_bytes >= in_use + 4000000);
  const Tensor again = Tensor::empty(Shape{1000, 1000});
  CHECK(again.raw_data() == first_block);
}

namespace {
struct Inner : Module {
  Inner() {
    register_parameter("weight", Tensor::zeros(Shape{2}));
    register_buffer("count", Tensor::zeros(Shape{}));
  }
};
struct Outer : Module {
  Outer() {
    register_parameter("scale", Tensor::zeros(Shape{1}));
    register_module("block", std::make_shared<Inner>());
  }
};
}  // namespace

TEST_CASE("BatchUploader on the CPU: a plain copy, with the value count checked") {
  BatchUploader uploader(Device::cpu());
  const std::vector<float> values{1.0f, -2.5f, 3.25f, 0.0f, 7.0f, 8.0f};
  const Tensor tensor = uploader.upload(Shape{2, 3}, values);
  CHECK(tensor.shape() == Shape{2, 3});
  CHECK(tensor.to_vector() == values);
  CHECK_THROWS_WITH_AS(uploader.upload(Shape{4}, values), doctest::Contains("needs 4 values"),
                       Error);
}

TEST_CASE("modules name their tensors with dotted paths, parameters before children") {
  Outer outer;
  std::vector<std::string> names;
  for (const auto& [name, tensor] : outer.state()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"scale", "block.weight", "block.count"});
  CHECK(outer.parameter_count() == 3);
  outer.eval();
  CHECK_FALSE(outer.is_training());
  outer.set_requires_grad(false);
  for (const Tensor& p : outer.parameters()) CHECK_FALSE(p.requires_grad());
}

}  // namespace ihd
