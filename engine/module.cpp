// Module tree walks.
#include "engine/module.h"

namespace ihd {

void Module::collect(const std::string& prefix, bool parameters, bool buffers,
                     std::vector<NamedTensor>& out) const {
  if (parameters) {
    for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
  }
  if (buffers) {
    for (const auto& [name, tensor] : buffers_) out.emplace_back(prefix + name, tensor);
  }
  for (const auto& [name, child] : children_) {
    child->collect(prefix + name + ".", parameters, buffers, out);
  }
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", true, false, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect("", false, true, out);
  return out;
}

std::vector<NamedTensor> Module::state() const {
  std::vector<NamedTensor> out;
  collect("", true, true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t count = 0;
  for (const auto& [name, tensor] : named_parameters()) count += tensor.numel();
  return count;
}

void Module::train(bool training) {
  training_ = training;
  for (auto& [name, child] : children_) child->train(training);
}

void Module::zero_grad() const {
  for (const auto& [name, tensor] : named_parameters()) tensor.zero_grad();
}

void Module::to(Device device) const {
  for (const auto& [name, tensor] : state()) {
    // Integer bookkeeping (num_batches_tracked) stays on the host, where it is counted.
    if (tensor.device() == device || tensor.dtype() == DType::i64) continue;
    tensor.impl()->storage = tensor.to(device).impl()->storage;
    if (tensor.grad().defined()) tensor.set_grad(tensor.grad().to(device));
  }
}

void Module::set_requires_grad(bool requires_grad) const {
  for (const auto& [name, tensor] : named_parameters()) {
    tensor.impl()->requires_grad = requires_grad;
    if (!requires_grad) tensor.zero_grad();
  }
}

void Module::for_each_module(const std::function<void(Module&)>& visit) {
  visit(*this);
  for (auto& [name, child] : children_) child->for_each_module(visit);
}

Tensor Module::register_parameter(std::string name, Tensor tensor) {
  tensor.set_requires_grad(true);
  parameters_.emplace_back(std::move(name), tensor);
  return tensor;
}

Tensor Module::register_buffer(std::string name, Tensor tensor) {
  buffers_.emplace_back(std::move(name), tensor);
  return tensor;
}

}  // namespace ihd
