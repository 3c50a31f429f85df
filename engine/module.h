// Module: a layer or network that owns named parameters, named buffers and child modules, the
// way torch.nn.Module does, so that names like "layer1.0.conv1.weight" come out of the tree and
// checkpoints match torchvision's state_dict() names.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace ihd {

using NamedTensor = std::pair<std::string, Tensor>;

class Module {
 public:
  virtual ~Module() = default;

  // Dotted names, each module's own entries before its children's, in registration order.
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  // Parameters and buffers together: what a checkpoint stores.
  std::vector<NamedTensor> state() const;
  std::vector<Tensor> parameters() const;
  int64_t parameter_count() const;

  // Training mode changes batch norm's behaviour; it applies to every descendant. Virtual so that
  // a model can keep part of itself in evaluation mode (a frozen backbone).
  virtual void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad() const;
  // Moves every parameter and buffer to `device` in place: existing handles stay valid.
  void to(Device device) const;
  // Freezes (false) or unfreezes (true) every parameter of this module and its children.
  void set_requires_grad(bool requires_grad) const;
  // Calls visit on this module, then on each descendant, in registration order.
  void for_each_module(const std::function<void(Module&)>& visit);

 protected:
  Tensor register_parameter(std::string name, Tensor tensor);
  Tensor register_buffer(std::string name, Tensor tensor);
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name,
                                              std::shared_ptr<ModuleType> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }

 private:
  void collect(const std::string& prefix, bool parameters, bool buffers,
               std::vector<NamedTensor>& out) const;

  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace ihd
