// Optimizer steps against hand-computed updates (PyTorch's formulas, written out), and the
// multi-tensor kernels against the per-parameter ones (bitwise).
#include "engine/optim/optimizer.h"

#include <random>

#include "test_util.h"

namespace ihd {
namespace {

using kernels::Backend;

// A one-parameter "model" [2] with a fixed gradient set before each step.
struct OneParameter {
  Tensor weight = Tensor::from_vector(Shape{2}, {1.0f, -2.0f});
  OneParameter() { weight.set_requires_grad(true); }
  std::vector<NamedTensor> named() const { return {{"w", weight}}; }
  void set_grad(std::vector<float> grad) const {
    weight.set_grad(Tensor::from_vector(Shape{2}, grad));
  }
};

// Parameters of uneven sizes for the multi-tensor kernels: one element, odd sizes, an empty one,
// sizes across the CPU kernel's 16384-element chunks, and one above its parallel threshold.
constexpr int64_t kSliceSizes[] = {1, 7, 0, 4097, 16385, 40000, 3};

// One set of parameters with their gradients and two state buffers, as host vectors.
struct HostParameters {
  std::vector<std::vector<float>> param, grad, state_a, state_b;

  HostParameters(std::mt19937& engine) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f), positive(0.001f, 0.01f);
    for (const int64_t n : kSliceSizes) {
      const auto size = static_cast<std::size_t>(n);
      param.emplace_back(size);
      grad.emplace_back(size);
      state_a.emplace_back(size);
      state_b.emplace_back(size);
      for (std::size_t i = 0; i < size; ++i) {
        param.back()[i] = values(engine);
        state_a.back()[i] = 0.1f * values(engine);
        state_b.back()[i] = positive(engine);
      }
    }
  }
  void new_gradients(std::mt19937& engine) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (auto& g : grad) {
      for (float& value : g) value = values(engine);
    }
  }
  kernels::ParameterSlice slice(std::size_t s) {
    kernels::ParameterSlice slice;
    slice.n = static_cast<int64_t>(param[s].size());
    slice.param = param[s].data();
    slice.grad = grad[s].data();
    return slice;
  }
};

}  // namespace

TEST_CASE("sgd_update_many: bitwise the per-parameter update (plain, momentum, Nesterov, decay)") {
  kernels::SgdHyper plain, momentum, nesterov;
  plain.lr = 0.1f;
  momentum.momentum = 0.9f;
  momentum.dampening = 0.1f;
  momentum.weight_decay = 1e-4f;
  nesterov.momentum = 0.9f;
  nesterov.weight_decay = 5e-4f;
  nesterov.nesterov = true;
  for (const kernels::SgdHyper& hyper : {plain, momentum, nesterov}) {
    CAPTURE(hyper.momentum);
    CAPTURE(hyper.nesterov);
    std::mt19937 engine(21);
    HostParameters one_by_one(engine), many = one_by_one;
    // Odd parameters get their first gradient one step late: their momentum starts then.
    for (int step = 0; step < 3; ++step) {
      one_by_one.new_gradients(engine);
      many.grad = one_by_one.grad;
      std::vector<kernels::ParameterSlice> slices;
      for (std::size_t s = 0; s < one_by_one.param.size(); ++s) {
        const int first = static_cast<int>(s % 2);
        if (step < first) continue;
        float* buffer = hyper.momentum != 0.0f ? one_by_one.state_a[s].data() : nullptr;
        kernels::sgd_update<Backend::cpu>(static_cast<int64_t>(one_by_one.param[s].size()),
                                          one_by_one.param[s].data(), one_by_one.grad[s].data(),
                                          buffer, hyper, step == first);
        kernels::ParameterSlice slice = many.slice(s);
        if (hyper.momentum != 0.0f) slice.momentum_buffer = many.state_a[s].data();
        slice.first_step = step == first;
        slices.push_back(slice);
      }
      kernels::sgd_update_many<Backend::cpu>(slices.data(), static_cast<int>(slices.size()), hyper);
      CHECK(many.param == one_by_one.param);
      CHECK(many.state_a == one_by_one.state_a);
    }
  }
}

TEST_CASE("adam_update_many: bitwise the per-parameter update (Adam, AdamW), several steps") {
  for (const bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    kernels::AdamHyper hyper;
    hyper.lr = 0.01f;
    hyper.weight_decay = 0.01f;
    hyper.decoupled_weight_decay = decoupled;
    std::mt19937 engine(22);
    HostParameters one_by_one(engine), many = one_by_one;
    for (int step = 1; step <= 4; ++step) {
      hyper.step = step;
      one_by_one.new_gradients(engine);
      many.grad = one_by_one.grad;
      std::vector<kernels::ParameterSlice> slices;
      for (std::size_t s = 0; s < one_by_one.param.size(); ++s) {
        kernels::adam_update<Backend::cpu>(static_cast<int64_t>(one_by_one.param[s].size()),
                                           one_by_one.param[s].data(), one_by_one.grad[s].data(),
                                           one_by_one.state_a[s].data(),
                                           one_by_one.state_b[s].data(), hyper);
        kernels::ParameterSlice slice = many.slice(s);
        slice.exp_avg = many.state_a[s].data();
        slice.exp_avg_sq = many.state_b[s].data();
        slices.push_back(slice);
      }
      kernels::adam_update_many<Backend::cpu>(slices.data(), static_cast<int>(slices.size()),
                                              hyper);
      CHECK(many.param == one_by_one.param);
      CHECK(many.state_a == one_by_one.state_a);
      CHECK(many.state_b == one_by_one.state_b);
    }
  }
}

TEST_CASE("SGD step: one multi-tensor call, bitwise the per-parameter updates, late gradients") {
  // Three parameters; "b" has no gradient on the first step, so its momentum starts on the
  // second (first_step for b alone).
  Random generator(23);
  std::vector<NamedTensor> named;
  for (const auto& [name, n] : {std::pair{"a", 4097}, std::pair{"b", 7}, std::pair{"c", 1}}) {
    named.emplace_back(name, testing::random_leaf(Shape{n}, generator));
  }
  std::vector<std::vector<float>> reference, buffers(named.size());
  for (const auto& [name, tensor] : named) reference.push_back(tensor.to_vector());
  kernels::SgdHyper hyper;
  hyper.momentum = 0.9f;
  hyper.nesterov = true;
  hyper.weight_decay = 1e-4f;
  Sgd sgd(named, hyper);
  for (int step = 0; step < 3; ++step) {
    for (std::size_t k = 0; k < named.size(); ++k) {
      const bool has_grad = !(step == 0 && named[k].first == "b");
      Tensor& parameter = named[k].second;
      parameter.set_grad(has_grad ? testing::random_tensor(parameter.shape(), generator)
                                  : Tensor());
      if (!has_grad) continue;
      const std::vector<float> grad = parameter.grad().to_vector();
      const bool first_step = buffers[k].empty();
      buffers[k].resize(grad.size());
      kernels::sgd_update<Backend::cpu>(static_cast<int64_t>(grad.size()), reference[k].data(),
                                        grad.data(), buffers[k].data(), hyper, first_step);
    }
    sgd.step();
    for (std::size_t k = 0; k < named.size(); ++k) {
      CAPTURE(named[k].first);
      CHECK(named[k].second.to_vector() == reference[k]);
    }
  }
  const auto state = sgd.state();
  REQUIRE(state.size() == 3);
  CHECK(state[0].first == "a.momentum_buffer");
  CHECK(state[1].first == "c.momentum_buffer");
  CHECK(state[2].first == "b.momentum_buffer");
  CHECK(state[2].second.to_vector() == buffers[1]);
}

TEST_CASE("SGD with momentum, weight decay, and Nesterov: two steps, written out") {
  for (bool nesterov : {false, true}) {
    CAPTURE(nesterov);
    OneParameter p;
    kernels::SgdHyper hyper;
    hyper.lr = 0.1f;
    hyper.momentum = 0.9f;
    hyper.weight_decay = 0.01f;
    hyper.nesterov = nesterov;
    Sgd sgd(p.named(), hyper);
    double w[2] = {1.0, -2.0}, buffer[2] = {0.0, 0.0};
    const double grads[2][2] = {{0.5, 0.0}, {-1.0, 0.0}};
    for (int t = 0; t < 2; ++t) {
      p.set_grad({static_cast<float>(grads[t][0]), static_cast<float>(grads[t][1])});
      sgd.step();
      for (int i = 0; i < 2; ++i) {
        const double g = grads[t][i] + 0.01 * w[i];
        buffer[i] = t == 0 ? g : 0.9 * buffer[i] + g;
        w[i] -= 0.1 * (nesterov ? g + 0.9 * buffer[i] : buffer[i]);
      }
      const std::vector<float> got = p.weight.to_vector();
      CHECK(got[0] == doctest::Approx(w[0]).epsilon(1e-6));
      CHECK(got[1] == doctest::Approx(w[1]).epsilon(1e-6));
    }
    CHECK(sgd.steps_taken() == 2);
  }
}

TEST_CASE("Adam and AdamW: two steps against the written-out update") {
  for (bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    OneParameter p;
    kernels::AdamHyper hyper;
    hyper.lr = 0.01f;
    hyper.weight_decay = 0.1f;
    hyper.decoupled_weight_decay = decoupled;
    Adam adam(p.named(), hyper);
    double w = 1.0, m = 0.0, v = 0.0;
    const double grads[2] = {0.3, -0.7};
    for (int t = 1; t <= 2; ++t) {
      p.set_grad({static_cast<float>(grads[t - 1]), 0.0f});
      adam.step();
      double g = grads[t - 1];
      if (decoupled) {
        w *= 1.0 - 0.01 * 0.1;
      } else {
        g += 0.1 * w;
      }
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      const double m_hat = m / (1 - std::pow(0.9, t)), v_hat = v / (1 - std::pow(0.999, t));
      w -= 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8);
      CHECK(p.weight.to_vector()[0] == doctest::Approx(w).epsilon(1e-6));
    }
    const auto state = adam.state();
    REQUIRE(state.size() == 2);
    CHECK(state[0].first == "w.exp_avg");
    CHECK(state[1].first == "w.exp_avg_sq");
  }
}

TEST_CASE("optimizer state restores into a fresh optimizer and continues identically") {
  OneParameter a, b;
  kernels::AdamHyper hyper;
  Adam first(a.named(), hyper), second(b.named(), hyper);
  a.set_grad({0.2f, -0.1f});
  first.step();
  b.weight.copy_from(a.weight);
  second.load_state(first.state());
  second.set_steps_taken(first.steps_taken());
  a.set_grad({0.5f, 0.4f});
  b.set_grad({0.5f, 0.4f});
  first.step();
  second.step();
  CHECK(a.weight.to_vector() == b.weight.to_vector());
  CHECK_THROWS_AS(second.load_state({{"nope.exp_avg", Tensor::zeros(Shape{2})}}), Error);
}

TEST_CASE("frozen parameters (no gradient) are left untouched") {
  OneParameter p;
  Sgd sgd(p.named(), kernels::SgdHyper{});
  sgd.step();
  CHECK(p.weight.to_vector() == std::vector<float>{1.0f, -2.0f});
}

TEST_CASE("two parameters with one name are refused: they would share optimizer state") {
  const Tensor a = Tensor::zeros(Shape{2}), b = Tensor::zeros(Shape{3});
  CHECK_THROWS_WITH_AS(Sgd({{"weight", a}, {"weight", b}}, kernels::SgdHyper{}),
                       doctest::Contains("two optimizer parameters are named 'weight'"), Error);
  CHECK_NOTHROW(Sgd({{"conv1.weight", a}, {"conv2.weight", b}}, kernels::SgdHyper{}));
}

}  // namespace ihd
