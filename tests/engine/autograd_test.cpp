// The autograd engine's contract: accumulation for tensors used twice, leaf gradients adding up
// across backward passes, no_grad, zero_grad, and freeing the graph.
#include "engine/layers.h"
#include "test_util.h"

namespace ihd {

TEST_CASE("a tensor used twice receives the sum of both gradients (the residual add)") {
  Tensor x = Tensor::from_vector(Shape{3}, {1, 2, 3});
  x.set_requires_grad(true);
  // y = x * x + x -> dy/dx = 2x + 1
  Tensor y = add(mul(x, x), x);
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{3, 5, 7});
}

TEST_CASE("leaf gradients accumulate across backward passes until zero_grad") {
  Tensor x = Tensor::from_vector(Shape{2}, {1, -1});
  x.set_requires_grad(true);
  sum(scale(x, 3.0f)).backward();
  sum(scale(x, 3.0f)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{6, 6});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("no_grad records no graph") {
  Tensor x = Tensor::from_vector(Shape{2}, {1, 2});
  x.set_requires_grad(true);
  {
    NoGradGuard no_grad;
    const Tensor y = relu(x);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(relu(x).requires_grad());
}

TEST_CASE("inputs that need no gradient get none, and backward needs a scalar") {
  Tensor x = Tensor::from_vector(Shape{2}, {1, 2});
  const Tensor constant = Tensor::from_vector(Shape{2}, {5, 6});
  x.set_requires_grad(true);
  sum(mul(x, constant)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{5, 6});
  CHECK_FALSE(constant.grad().defined());
  CHECK_THROWS_AS(mul(x, constant).backward(), Error);
}

TEST_CASE("the graph is freed after backward: saved activations are released") {
  Random g(3);
  Conv2d conv(4, 8, 3, 1, 1, false, g);
  const Tensor x = testing::random_tensor(Shape{2, 16, 16, 4}, g);
  const std::size_t before = memory_stats(Device::cpu()).in_use_bytes;
  {
    Tensor loss = sum(relu(conv.forward(x)));
    loss.backward();
  }
  conv.zero_grad();
  CHECK(memory_stats(Device::cpu()).in_use_bytes == before);
}

TEST_CASE("a deep chain does not overflow the stack") {
  Tensor x = Tensor::from_vector(Shape{1}, {1.0f});
  x.set_requires_grad(true);
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = scale(y, 1.0f);
  sum(y).backward();
  CHECK(x.grad().item() == 1.0f);
}

}  // namespace ihd
