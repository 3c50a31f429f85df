// Synchronised batch norm against one process. Two replicas are simulated by two threads, each
// with half of a batch and a ReplicaSum that adds across the threads (TwoReplicaSum); each
// replica's loss is the mean over its half. One process runs the op on the whole batch with the
// loss the mean over all of it. The outputs and running statistics must agree, and so must the
// gradients as the distributed side combines them: the input gradients concatenated and divided
// by the replica count (each replica's upstream gradient is twice the whole batch's), and the
// parameter gradients averaged, (g_0 + g_1) / 2. set_replica_sum reaches every BatchNorm2d.
//
// Tolerances: the two sides differ only in summation order and in how the statistics are merged
// (float sums of rows * mean and of centred squares about the global mean), a few float
// roundings: element by element, 1e-5 relative plus 2e-5 absolute for y (of order 1), the
// running statistics and the parameter gradients, 2e-7 absolute for the input gradients (of
// order 1e-3: the loss is a mean over the batch). Measured: at most 1e-6 on y, 3e-8 on the
// parameter gradients, 1e-9 on the input gradients. bfloat16 activations round y and the input
// gradients to 8 significant bits, and a statistic one float rounding away can move a value
// across a rounding boundary: one bfloat16 step (2^-7 relative) plus 1e-3 absolute on y, 1e-5 on
// the input gradients (measured: one step, 5e-4 on y); statistics and parameter gradients stay
// float32 and keep the float32 tolerance.
#include <barrier>
#include <cmath>
#include <exception>
#include <thread>

#include "engine/layers.h"
#include "test_util.h"

namespace ihd {
namespace {

// Sums across two threads: each replica copies its values into its slot and waits for the
// other; both add the slots in slot order (so both get bit-identical sums), then wait again
// before a slot is reused. Records each call's count per replica.
class TwoReplicaSum {
 public:
  ReplicaSum for_replica(int replica) {
    return [this, replica](float* values, int64_t count) {
      counts_[replica].push_back(count);
      slots_[replica].assign(values, values + count);
      barrier_.arrive_and_wait();
      for (int64_t i = 0; i < count; ++i) values[i] = slots_[0][i] + slots_[1][i];
      barrier_.arrive_and_wait();
    };
  }
  const std::vector<int64_t>& counts(int replica) const { return counts_[replica]; }

 private:
  std::barrier<> barrier_{2};
  std::vector<float> slots_[2];
  std::vector<int64_t> counts_[2];
};

// Samples [first, first + count) of an NHWC batch (or all rows of [N, C]).
std::vector<float> samples(const std::vector<float>& batch, int64_t per_sample, int64_t first,
                           int64_t count) {
  return {batch.begin() + first * per_sample, batch.begin() + (first + count) * per_sample};
}

std::vector<float> concatenated(std::vector<float> a, const std::vector<float>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<float> scaled(std::vector<float> values, float factor) {
  for (float& value : values) value *= factor;
  return values;
}

void check_close(const char* what, const std::vector<float>& ours,
                 const std::vector<float>& expected, double relative, double absolute) {
  REQUIRE(ours.size() == expected.size());
  double worst = 0.0;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double excess = std::abs(double(ours[i]) - expected[i]) -
                          (absolute + relative * std::abs(double(expected[i])));
    if (i == 0 || excess > worst) worst = excess, worst_index = i;
  }
  INFO(std::string(what), ": element ", worst_index, " is ", ours[worst_index], ", expected ",
       expected[worst_index]);
  CHECK(worst <= 0.0);
}

// One replica's (or the one process's) inputs, results and gradients.
struct Run {
  Tensor x, residual, weight, bias, running_mean, running_var;
  std::vector<float> y;
};

// Leaves for `count` samples from `first` of the full inputs; parameters and running statistics
// are copies, so each replica owns its own.
Run make_run(const std::vector<float>& x, const std::vector<float>& residual,
             const Shape& batch_shape, int64_t first, int64_t count, const Tensor& weight,
             const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
             bool with_residual) {
  const int64_t per_sample = batch_shape.numel() / batch_shape[0];
  std::vector<int64_t> sizes;
  for (int d = 0; d < batch_shape.rank(); ++d) sizes.push_back(d == 0 ? count : batch_shape[d]);
  const Shape shape(sizes);
  Run run;
  run.x = Tensor::from_vector(shape, samples(x, per_sample, first, count));
  run.x.set_requires_grad(true);
  if (with_residual) {
    run.residual = Tensor::from_vector(shape, samples(residual, per_sample, first, count));
    run.residual.set_requires_grad(true);
  }
  run.weight = weight.clone();
  run.weight.set_requires_grad(true);
  run.bias = bias.clone();
  run.bias.set_requires_grad(true);
  run.running_mean = running_mean.clone();
  run.running_var = running_var.clone();
  return run;
}

// Forward and backward of loss = mean(y * projection), activations in `dtype`.
void forward_backward(Run& run, const std::vector<float>& projection, bool relu, DType dtype,
                      const ReplicaSum& replica_sum) {
  BatchNormOptions options;
  options.relu = relu;
  options.replica_sum = replica_sum;
  const Tensor residual = run.residual.defined() ? cast(run.residual, dtype) : Tensor();
  const Tensor y = cast(batch_norm(cast(run.x, dtype), run.weight, run.bias, run.running_mean,
                                   run.running_var, options, residual),
                        DType::f32);
  run.y = y.to_vector();
  mean(mul(y, Tensor::from_vector(y.shape(), projection))).backward();
}

void check_against_one_process(Shape shape, bool with_residual, bool relu, DType dtype) {
  CAPTURE(shape.to_string());
  CAPTURE(with_residual);
  CAPTURE(relu);
  CAPTURE(dtype_name(dtype));
  const int64_t batch = shape[0], half = batch / 2;
  const int64_t per_sample = shape.numel() / batch;
  const int channels = static_cast<int>(shape[shape.rank() - 1]);
  Random generator(17);
  // A mean far from zero relative to the spread: the merge must not cancel.
  std::vector<float> x = testing::random_tensor(shape, generator).to_vector();
  for (float& value : x) value += 10.0f;
  const std::vector<float> residual = testing::random_tensor(shape, generator).to_vector();
  const std::vector<float> projection = testing::random_tensor(shape, generator).to_vector();
  const Tensor weight = testing::random_tensor(Shape{channels}, generator, 0.5f);
  const Tensor bias = testing::random_tensor(Shape{channels}, generator);
  const Tensor running_mean = testing::random_tensor(Shape{channels}, generator);
  Tensor running_var = Tensor::full(Shape{channels}, 2.0f);

  Run one = make_run(x, residual, shape, 0, batch, weight, bias, running_mean, running_var,
                     with_residual);
  forward_backward(one, projection, relu, dtype, ReplicaSum());

  TwoReplicaSum sum;
  Run replicas[2];
  std::exception_ptr failures[2];
  std::thread threads[2];
  for (int r = 0; r < 2; ++r) {
    replicas[r] = make_run(x, residual, shape, r * half, r == 0 ? half : batch - half, weight, bias,
                           running_mean, running_var, with_residual);
  }
  for (int r = 0; r < 2; ++r) {
    threads[r] = std::thread([&, r] {
      try {
        forward_backward(replicas[r],
                         samples(projection, per_sample, r * half, r == 0 ? half : batch - half),
                         relu, dtype, sum.for_replica(r));
      } catch (...) {
        failures[r] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  // Forward: C + 2 floats, then C; backward: 2C.
  const std::vector<int64_t> expected_counts{channels + 2, channels, 2 * channels};
  CHECK(sum.counts(0) == expected_counts);
  CHECK(sum.counts(1) == expected_counts);

  const bool bf16 = dtype == DType::bf16;
  const double relative = bf16 ? 1.0 / 128 : 1e-5, absolute = bf16 ? 1e-3 : 2e-5;
  // Statistics and parameter gradients are float32 on both paths.
  const double statistics_relative = 1e-5, statistics_absolute = 2e-5;
  const auto& [a, b] = replicas;
  check_close("y", concatenated(a.y, b.y), one.y, relative, absolute);
  for (const Run& replica : replicas) {
    check_close("running_mean", replica.running_mean.to_vector(), one.running_mean.to_vector(),
                statistics_relative, statistics_absolute);
    check_close("running_var", replica.running_var.to_vector(), one.running_var.to_vector(),
                statistics_relative, statistics_absolute);
  }
  // Unequal halves: the mean of the replicas' losses is no longer the whole batch's mean loss
  // (for any layer, as with DDP), so only the forward pass is compared.
  if (batch % 2 != 0) return;
  const auto average = [](const Tensor& g0, const Tensor& g1) {
    std::vector<float> total = g0.grad().to_vector();
    const std::vector<float> other = g1.grad().to_vector();
    for (std::size_t i = 0; i < total.size(); ++i) total[i] = (total[i] + other[i]) / 2;
    return total;
  };
  check_close("x gradient",
              scaled(concatenated(a.x.grad().to_vector(), b.x.grad().to_vector()), 0.5f),
              one.x.grad().to_vector(), relative, absolute * 1e-2);
  if (with_residual) {
    check_close(
        "residual gradient",
        scaled(concatenated(a.residual.grad().to_vector(), b.residual.grad().to_vector()), 0.5f),
        one.residual.grad().to_vector(), relative, absolute * 1e-2);
  }
  check_close("weight gradient", average(a.weight, b.weight), one.weight.grad().to_vector(),
              statistics_relative, statistics_absolute);
  check_close("bias gradient", average(a.bias, b.bias), one.bias.grad().to_vector(),
              statistics_relative, statistics_absolute);
}

// A module with BatchNorm2d layers one and two levels down.
class TwoNorms : public Module {
 public:
  class Inner : public Module {
   public:
    Inner() : norm(register_module("norm", std::make_shared<BatchNorm2d>(3))) {}
    std::shared_ptr<BatchNorm2d> norm;
  };
  TwoNorms()
      : first(register_module("first", std::make_shared<BatchNorm2d>(3))),
        inner(register_module("inner", std::make_shared<Inner>())) {}
  std::shared_ptr<BatchNorm2d> first;
  std::shared_ptr<Inner> inner;
};

}  // namespace

TEST_CASE("synchronised batch_norm over two replicas equals one process over the whole batch") {
  for (const Shape& shape : {Shape{8, 5, 5, 16}, Shape{6, 3, 3, 7}}) {
    for (const bool with_residual : {false, true}) {
      for (const bool relu : {false, true}) {
        check_against_one_process(shape, with_residual, relu, DType::f32);
        check_against_one_process(shape, with_residual, relu, DType::bf16);
      }
    }
  }
}

TEST_CASE("synchronised batch_norm over replicas of unequal size: the whole batch's statistics") {
  // [5, ...] splits into 2 and 3 samples.
  check_against_one_process(Shape{5, 2, 3, 4}, true, true, DType::f32);
}

TEST_CASE("set_replica_sum reaches every BatchNorm2d, and one replica trains as without it") {
  TwoNorms model, plain;
  int calls = 0;
  set_replica_sum(model, [&](float*, int64_t) { ++calls; });
  CHECK(model.first->replica_sum);
  CHECK(model.inner->norm->replica_sum);
  Random generator(5);
  const Tensor x = testing::random_leaf(Shape{4, 2, 2, 3}, generator);
  const Tensor y = model.inner->norm->forward(model.first->forward(x, true));
  CHECK(calls == 4);
  const Tensor y_plain = plain.inner->norm->forward(plain.first->forward(x, true));
  CHECK(testing::max_abs_difference(y.to_vector(), y_plain.to_vector()) < 1e-5);
  sum(y).backward();
  CHECK(calls == 6);
  set_replica_sum(model, ReplicaSum());
  CHECK_FALSE(model.first->replica_sum);
  CHECK_FALSE(model.inner->norm->replica_sum);
  model.eval();
  set_replica_sum(model, [&](float*, int64_t) { ++calls; });
  model.first->forward(x);
  CHECK(calls == 6);
}

}  // namespace ihd
