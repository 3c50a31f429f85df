// Optimizer state bookkeeping and the SGD/Adam steps (the arithmetic is in the kernels).
#include "engine/optim/optimizer.h"

#include "engine/dispatch.h"

namespace ihd {

void Optimizer::zero_grad() const {
  for (const auto& [name, parameter] : parameters_) parameter.zero_grad();
}

std::vector<NamedTensor> Optimizer::state() const {
  return state_;
}

Tensor& Optimizer::state_of(std::size_t i, const std::string& suffix) {
  const std::string name = parameters_[i].first + "." + suffix;
  for (auto& [state_name, tensor] : state_) {
    if (state_name == name) return tensor;
  }
  const Tensor& parameter = parameters_[i].second;
  state_.emplace_back(name, Tensor::zeros(parameter.shape(), parameter.device()));
  return state_.back().second;
}

void Optimizer::load_state(const std::vector<NamedTensor>& saved) {
  state_.clear();
  for (const auto& [name, tensor] : saved) {
    bool matched = false;
    for (const auto& [parameter_name, parameter] : parameters_) {
      if (name.rfind(parameter_name + ".", 0) == 0 &&
          name.find('.', parameter_name.size() + 1) == std::string::npos) {
        IHD_CHECK(tensor.shape() == parameter.shape(), "optimizer state ", name, " has shape ",
                  tensor.shape().to_string(), " but the parameter has ",
                  parameter.shape().to_string());
        state_.emplace_back(name, tensor.to(parameter.device()));
        matched = true;
        break;
      }
    }
    IHD_CHECK(matched, "optimizer state ", name, " matches no parameter");
  }
}

Sgd::Sgd(std::vector<NamedTensor> parameters, kernels::SgdHyper hyper)
    : Optimizer(std::move(parameters)), hyper_(hyper) {}

void Sgd::step() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& parameter = parameters_[i].second;
    const Tensor grad = parameter.grad();
    if (!grad.defined()) continue;
    float* momentum_buffer = nullptr;
    bool first_step = false;
    if (hyper_.momentum != 0.0f) {
      const std::size_t states_before = state_.size();
      momentum_buffer = state_of(i, "momentum_buffer").data();
      first_step = state_.size() > states_before;
    }
    IHD_ON_DEVICE(parameter.device(), sgd_update(parameter.numel(), parameter.data(), grad.data(),
                                                 momentum_buffer, hyper_, first_step));
  }
  ++steps_taken_;
}

Adam::Adam(std::vector<NamedTensor> parameters, kernels::AdamHyper hyper)
    : Optimizer(std::move(parameters)), hyper_(hyper) {}

void Adam::step() {
  hyper_.step = steps_taken_ + 1;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& parameter = parameters_[i].second;
    const Tensor grad = parameter.grad();
    if (!grad.defined()) continue;
    float* exp_avg = state_of(i, "exp_avg").data();
    float* exp_avg_sq = state_of(i, "exp_avg_sq").data();
    IHD_ON_DEVICE(parameter.device(), adam_update(parameter.numel(), parameter.data(), grad.data(),
                                                  exp_avg, exp_avg_sq, hyper_));
  }
  ++steps_taken_;
}

}  // namespace ihd
