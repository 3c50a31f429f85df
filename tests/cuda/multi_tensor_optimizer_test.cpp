// On CUDA, the multi-tensor optimizer updates (sgd_update_many, adam_update_many: what the
// engine's optimizers run) give, bit for bit, the per-parameter updates (sgd_update, adam_update:
// the reference, kernels/optimizer.h), over parameters of uneven sizes: one element, odd, empty,
// across the kernel's 8192-element chunks, a large one, and enough small ones to need a second
// launch (256 parameters per launch); two steps, so that momentum's first and later steps both
// run. The CPU's are checked the same way in tests/engine/optimizer_test.cpp, and the optimizers
// CPU against CUDA by the op cases (tests/ops/op_cases_optimizer.cpp).
#include <cstring>
#include <random>

#include "engine/tensor.h"
#include "kernels/optimizer.h"
#include "ops/skip_without_gpu.h"

namespace ihd::cuda_test {
namespace {

using kernels::Backend;

Tensor random_on_gpu(int64_t n, float low, float high, std::mt19937& engine) {
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (float& value : values) value = distribution(engine);
  return Tensor::from_vector(Shape{n}, values, Device::cuda());
}

bool same_bits(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector(), y = b.to_vector();
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), sizeof(float) * x.size()) == 0;
}

// One parameter: its gradient and two state buffers (the momentum buffer or exp_avg, and
// exp_avg_sq), each twice: updated together (many) and one by one (alone).
struct Parameter {
  Tensor grad, param, state_a, state_b, param_alone, state_a_alone, state_b_alone;
};

enum class Rule { sgd_momentum, sgd_nesterov, adam, adamw };

TEST_CASE("CUDA multi-tensor optimizer updates equal the per-parameter updates bit for bit") {
  IHD_SKIP_WITHOUT_GPU();
  std::vector<int64_t> sizes = {1, 7, 0, 4097, 8192, 8193, 1000003};
  for (int i = 0; i < 300; ++i) sizes.push_back(1 + i % 13);
  for (const Rule rule : {Rule::sgd_momentum, Rule::sgd_nesterov, Rule::adam, Rule::adamw}) {
    CAPTURE(static_cast<int>(rule));
    kernels::SgdHyper sgd;
    sgd.momentum = 0.9f;
    sgd.dampening = rule == Rule::sgd_momentum ? 0.1f : 0.0f;
    sgd.weight_decay = 1e-4f;
    sgd.nesterov = rule == Rule::sgd_nesterov;
    kernels::AdamHyper adam;
    adam.weight_decay = 0.01f;
    adam.decoupled_weight_decay = rule == Rule::adamw;
    const bool is_sgd = rule == Rule::sgd_momentum || rule == Rule::sgd_nesterov;
    std::mt19937 engine(13);
    std::vector<Parameter> parameters;
    for (const int64_t n : sizes) {
      Parameter p;
      p.grad = random_on_gpu(n, -1.0f, 1.0f, engine);
      p.param = random_on_gpu(n, -1.0f, 1.0f, engine);
      p.state_a = random_on_gpu(n, -0.1f, 0.1f, engine);
      p.state_b = random_on_gpu(n, 0.001f, 0.01f, engine);
      p.param_alone = p.param.clone();
      p.state_a_alone = p.state_a.clone();
      p.state_b_alone = p.state_b.clone();
      parameters.push_back(p);
    }
    for (int step = 1; step <= 2; ++step) {
      adam.step = step;
      std::vector<kernels::ParameterSlice> slices;
      for (Parameter& p : parameters) {
        kernels::ParameterSlice slice;
        slice.n = p.param.numel();
        slice.param = p.param.data();
        slice.grad = p.grad.data();
        (is_sgd ? slice.momentum_buffer : slice.exp_avg) = p.state_a.data();
        if (!is_sgd) slice.exp_avg_sq = p.state_b.data();
        slice.first_step = step == 1;
        slices.push_back(slice);
        if (is_sgd) {
          kernels::sgd_update<Backend::cuda>(slice.n, p.param_alone.data(), p.grad.data(),
                                             p.state_a_alone.data(), sgd, step == 1);
        } else {
          kernels::adam_update<Backend::cuda>(slice.n, p.param_alone.data(), p.grad.data(),
                                              p.state_a_alone.data(), p.state_b_alone.data(), adam);
        }
      }
      const int count = static_cast<int>(slices.size());
      if (is_sgd) {
        kernels::sgd_update_many<Backend::cuda>(slices.data(), count, sgd);
      } else {
        kernels::adam_update_many<Backend::cuda>(slices.data(), count, adam);
      }
    }
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      CAPTURE(k);
      CAPTURE(sizes[k]);
      CHECK(same_bits(parameters[k].param, parameters[k].param_alone));
      CHECK(same_bits(parameters[k].state_a, parameters[k].state_a_alone));
      CHECK(same_bits(parameters[k].state_b, parameters[k].state_b_alone));
    }
  }
}

}  // namespace
}  // namespace ihd::cuda_test
