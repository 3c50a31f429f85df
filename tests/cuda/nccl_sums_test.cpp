// The GPU side of data-parallel training on one GPU: an NCCL communicator of one rank (made
// without mpirun: a group of one needs no broadcast of its unique id) sums in place, orders the
// compute stream after its sums, and, behind the gradient averager, leaves every gradient what a
// plain backward pass gives (the mean over one rank). On a machine with several GPUs the same path
// runs with mpirun -np N (docs/DISTRIBUTED.md). Built with NCCL only.
#include "engine/distributed/nccl_sums.h"

#include "engine/distributed/gradient_averager.h"
#include "engine/distributed/process_group.h"
#include "engine/layers.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "ops/skip_without_gpu.h"

namespace ihd::cuda_test {
namespace {

using distributed::ProcessGroup;

TEST_CASE("an NCCL communicator of one rank sums in place and orders the compute stream") {
  IHD_SKIP_WITHOUT_GPU();
  distributed::NcclSums sums(ProcessGroup::world());
  std::vector<float> values(1 << 20);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000) * 0.5f;
  Tensor buffer =
      Tensor::from_vector(Shape{static_cast<int64_t>(values.size())}, values).to(Device::cuda());
  for (int round = 0; round < 3; ++round) {
    sums.start(buffer.data(), values.size());
    sums.wait();
  }
  CHECK(buffer.to_vector() == values);
}

TEST_CASE("gradients averaged over one NCCL rank are those of a plain backward pass") {
  IHD_SKIP_WITHOUT_GPU();
  Random generator(3);
  Linear layer(16, 4, true, generator);
  layer.to(Device::cuda());
  Random data(4);
  Tensor x = Tensor::empty(Shape{8, 16});
  fill_uniform(x, data, -1, 1);
  x = x.to(Device::cuda());
  const Tensor targets = Tensor::full(Shape{8, 4}, 0.25f, Device::cuda());
  layer.zero_grad();
  binary_cross_entropy_with_logits(layer.forward(x), targets).backward();
  const std::vector<float> plain = layer.weight.grad().to_vector();

  distributed::GradientAverager averager(ProcessGroup::world(), layer.named_parameters(), 64);
  layer.zero_grad();
  averager.backward(binary_cross_entropy_with_logits(layer.forward(x), targets));
  CHECK(layer.weight.grad().to_vector() == plain);
  CHECK(layer.bias.grad().defined());
}

}  // namespace
}  // namespace ihd::cuda_test
