// Optimizer state bookkeeping and the SGD/Adam steps (the arithmetic is in the kernels).
#include "engine/optim/optimizer.h"

#include <unordered_set>

#include "engine/dispatch.h"

namespace ihd {

Optimizer::Optimizer(std::vector<NamedTensor> parameters) : parameters_(std::move(parameters)) {
  std::unordered_set<std::string> names;
  for (const auto& [name, parameter] : parameters_) {
    IHD_CHECK(names.insert(name).second, "two optimizer parameters are named '", name,
              "': their state would be shared; give each a unique (dotted) name");
  }
}

void Optimizer::zero_grad() const {
  for (const auto& [name, parameter] : parameters_) parameter.zero_grad();
}

std::vector<NamedTensor> Optimizer::state() const {
  return state_;
}

Tensor Optimizer::state_of(std::size_t i, const std::string& suffix, bool* created) {
  const std::string name = parameters_[i].first + "." + suffix;
  if (const auto found = state_index_.find(name); found != state_index_.end()) {
    return state_[found->second].second;
  }
  const Tensor& parameter = parameters_[i].second;
  state_index_.emplace(name, state_.size());
  state_.emplace_back(name, Tensor::zeros(parameter.shape(), parameter.device()));
  if (created) *created = true;
  return state_.back().second;
}

Optimizer::StepParameters Optimizer::parameters_with_grad() const {
  StepParameters step;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const auto& [name, parameter] = parameters_[i];
    Tensor grad = parameter.grad();
    if (!grad.defined()) continue;
    if (step.indices.empty()) step.device = parameter.device();
    IHD_CHECK(parameter.device() == step.device, "the optimizer's parameters live on ",
              step.device.to_string(), " and ", parameter.device().to_string(), " (", name,
              "): move the whole model to one device");
    kernels::ParameterSlice slice;
    slice.n = parameter.numel();
    slice.param = parameter.data();
    parameter.mark_modified();  // the step writes it
    slice.grad = grad.data();
    step.indices.push_back(i);
    step.grads.push_back(std::move(grad));
    step.slices.push_back(slice);
  }
  return step;
}

void Optimizer::load_state(const std::vector<NamedTensor>& saved) {
  state_.clear();
  state_index_.clear();
  for (const auto& [name, tensor] : saved) {
    bool matched = false;
    for (const auto& [parameter_name, parameter] : parameters_) {
      if (name.rfind(parameter_name + ".", 0) == 0 &&
          name.find('.', parameter_name.size() + 1) == std::string::npos) {
        IHD_CHECK(tensor.shape() == parameter.shape(), "optimizer state ", name, " has shape ",
                  tensor.shape().to_string(), " but the parameter has ",
                  parameter.shape().to_string());
        state_index_.emplace(name, state_.size());
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
  StepParameters step = parameters_with_grad();
  if (hyper_.momentum != 0.0f) {
    for (std::size_t k = 0; k < step.slices.size(); ++k) {
      step.slices[k].momentum_buffer =
          state_of(step.indices[k], "momentum_buffer", &step.slices[k].first_step).data();
    }
  }
  if (!step.slices.empty()) {
    IHD_ON_DEVICE(step.device, sgd_update_many, step.slices.data(),
                  static_cast<int>(step.slices.size()), hyper_);
  }
  ++steps_taken_;
}

Adam::Adam(std::vector<NamedTensor> parameters, kernels::AdamHyper hyper)
    : Optimizer(std::move(parameters)), hyper_(hyper) {}

void Adam::step() {
  hyper_.step = steps_taken_ + 1;
  StepParameters step = parameters_with_grad();
  for (std::size_t k = 0; k < step.slices.size(); ++k) {
    step.slices[k].exp_avg = state_of(step.indices[k], "exp_avg").data();
    step.slices[k].exp_avg_sq = state_of(step.indices[k], "exp_avg_sq").data();
  }
  if (!step.slices.empty()) {
    IHD_ON_DEVICE(step.device, adam_update_many, step.slices.data(),
                  static_cast<int>(step.slices.size()), hyper_);
  }
  ++steps_taken_;
}

}  // namespace ihd
