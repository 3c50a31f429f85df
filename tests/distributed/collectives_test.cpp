// The process group and the gradient averager on two MPI ranks (ctest starts this binary with
// mpirun -np 2; each rank runs every case and must pass). The collectives are checked against
// values each rank can compute alone (the other rank's contribution is a known function of its
// number); the averaged gradients of a small network against the mean of both ranks' gradients
// computed locally by plain backward passes, bit for bit: with two ranks a sum is a + b in either
// order, and the mean is that sum times 0.5 on both sides.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/random.h"
#include "engine/distributed/gradient_averager.h"
#include "engine/distributed/process_group.h"
#include "engine/layers.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace ihd::distributed {
namespace {

const ProcessGroup& two_ranks() {
  const ProcessGroup& group = ProcessGroup::world();
  REQUIRE(group.launched());
  REQUIRE(group.size() == 2);
  return group;
}

// Two linear layers and a third one that the loss never reaches (its gradient stays undefined).
class SmallNetwork : public Module {
 public:
  explicit SmallNetwork(Random& generator)
      : first(register_module("first", std::make_shared<Linear>(6, 5, true, generator))),
        second(register_module("second", std::make_shared<Linear>(5, 3, true, generator))),
        unused(register_module("unused", std::make_shared<Linear>(3, 2, true, generator))) {}
  Tensor forward(const Tensor& x) const { return second->forward(relu(first->forward(x))); }

  std::shared_ptr<Linear> first, second, unused;
};

// Rank r's batch: 4 rows of 6 inputs and 3 targets, drawn from seed 100 + r.
std::pair<Tensor, Tensor> batch_of(int rank) {
  Random generator(100 + static_cast<std::uint64_t>(rank));
  Tensor x = Tensor::empty(Shape{4, 6});
  fill_uniform(x, generator, -1, 1);
  Tensor targets = Tensor::empty(Shape{4, 3});
  fill_uniform(targets, generator, 0, 1);
  return {x, targets};
}

Tensor loss_of(const SmallNetwork& network, int rank) {
  const auto [x, targets] = batch_of(rank);
  return binary_cross_entropy_with_logits(network.forward(x), targets);
}

}  // namespace

TEST_CASE("the process group's collectives on two ranks") {
  const ProcessGroup& group = two_ranks();
  const int rank = group.rank();
  CHECK(group.local_size() == 2);
  CHECK(group.local_rank() == rank);
  CHECK(group.message_prefix() == "rank " + std::to_string(rank) + " of 2: ");

  std::string text = rank == 0 ? std::string(100000, 'x') + "from rank 0" : "rank 1's own";
  group.broadcast(text);
  CHECK(text == std::string(100000, 'x') + "from rank 0");

  std::vector<float> values = {1.0f + rank, 10.0f * rank, -2.5f};
  group.sum(values.data(), values.size());
  CHECK(values == std::vector<float>{3.0f, 10.0f, -5.0f});
  double total = 0.25 + rank;
  group.sum(&total, 1);
  CHECK(total == 1.5);

  const float mine[2] = {static_cast<float>(rank), 7.0f};
  CHECK(group.all_gather(mine, 2) == std::vector<float>{0, 7, 1, 7});
  CHECK(group.all_gather(std::uint64_t{40} + rank) == std::vector<std::uint64_t>{40, 41});
  // Rank r sends r + 1 values: 0.5; then 1.5, 1.5.
  const std::vector<double> varying(static_cast<size_t>(rank) + 1, rank + 0.5);
  CHECK(group.all_gather_varying(varying) == std::vector<double>{0.5, 1.5, 1.5});
  // To rank 0 alone, in float: rank 0 sends none, rank 1 two; rank 1 gets nothing back.
  const std::vector<float> to_root(static_cast<size_t>(rank) * 2, 3.0f);
  CHECK(group.gather_varying(to_root) ==
        (rank == 0 ? std::vector<float>{3, 3} : std::vector<float>{}));
  group.barrier();
}

TEST_CASE("gradients averaged in buckets during backward equal the mean of both ranks' gradients") {
  const ProcessGroup& group = two_ranks();
  Random generator(7);  // the same initial weights on both ranks
  SmallNetwork network(generator);
  network.unused->set_requires_grad(false);
  std::vector<NamedTensor> trainable;
  for (auto& [name, tensor] : network.named_parameters()) {
    if (tensor.requires_grad()) trainable.emplace_back(name, tensor);
  }
  REQUIRE(trainable.size() == 4);

  // The reference, computed here alone: each rank's gradients by a plain backward pass.
  std::vector<std::vector<std::vector<float>>> gradients(2);
  for (int r = 0; r < 2; ++r) {
    network.zero_grad();
    loss_of(network, r).backward();
    for (const auto& [name, tensor] : trainable) gradients[r].push_back(tensor.grad().to_vector());
  }

  // 16-byte buckets, filled last parameter first: second.bias (12 bytes) with second.weight, then
  // first.bias (20 bytes) and first.weight alone: three sums in flight during backward.
  GradientAverager averager(group, trainable, 16);
  CHECK(averager.bucket_count() == 3);
  for (int step = 0; step < 2; ++step) {  // the buckets are reused from step to step
    network.zero_grad();
    averager.backward(loss_of(network, group.rank()));
    for (size_t p = 0; p < trainable.size(); ++p) {
      CAPTURE(trainable[p].first);
      const std::vector<float> averaged = trainable[p].second.grad().to_vector();
      REQUIRE(averaged.size() == gradients[0][p].size());
      for (size_t i = 0; i < averaged.size(); ++i) {
        CHECK(averaged[i] == (gradients[0][p][i] + gradients[1][p][i]) * 0.5f);
      }
    }
    CHECK_FALSE(network.unused->weight.grad().defined());
  }
}

}  // namespace ihd::distributed
