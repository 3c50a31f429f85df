// Optimizer steps against hand-computed updates (PyTorch's formulas, written out).
#include "engine/optim/optimizer.h"

#include "test_util.h"

namespace ihd {
namespace {

// A one-parameter "model" [2] with a fixed gradient set before each step.
struct OneParameter {
  Tensor weight = Tensor::from_vector(Shape{2}, {1.0f, -2.0f});
  OneParameter() { weight.set_requires_grad(true); }
  std::vector<NamedTensor> named() const { return {{"w", weight}}; }
  void set_grad(std::vector<float> grad) const {
    weight.set_grad(Tensor::from_vector(Shape{2}, grad));
  }
};

}  // namespace

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

}  // namespace ihd
