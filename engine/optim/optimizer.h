// Optimizers with PyTorch's update rules: SGD (momentum, dampening, Nesterov, weight decay),
// Adam and AdamW. Each keeps per-parameter state tensors named after the parameter
// ("layer1.0.conv1.weight.exp_avg"), so that a checkpoint can store and restore them exactly.
// Parameters without a gradient (frozen, or unused this step) are skipped. A step updates all the
// other parameters with one multi-tensor kernel call (kernels/*/optimizer.h: sgd_update_many,
// adam_update_many), so all parameters must live on one device.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/module.h"
#include "kernels/optimizer.h"

namespace ihd {

class Optimizer {
 public:
  // Parameter names must be unique: state is kept by name (throws ihd::Error on a duplicate).
  explicit Optimizer(std::vector<NamedTensor> parameters);
  virtual ~Optimizer() = default;

  virtual void step() = 0;
  void zero_grad() const;
  virtual float learning_rate() const = 0;
  virtual void set_learning_rate(float lr) = 0;
  // Completed steps, and the state to checkpoint (created lazily: empty before the first step).
  int64_t steps_taken() const { return steps_taken_; }
  void set_steps_taken(int64_t steps) { steps_taken_ = steps; }
  std::vector<NamedTensor> state() const;
  // Restores state saved by state(); tensors are matched by name and shape.
  void load_state(const std::vector<NamedTensor>& saved);

 protected:
  // The state tensor `suffix` of parameter i, created as zeros on first use (then `created`, if
  // given, is set).
  Tensor state_of(std::size_t i, const std::string& suffix, bool* created = nullptr);
  // The parameters that have a gradient, with their gradients (kept alive for the kernel call)
  // and their slices with param and grad filled in; checks that they share one device.
  struct StepParameters {
    std::vector<std::size_t> indices;
    std::vector<Tensor> grads;
    std::vector<kernels::ParameterSlice> slices;
    Device device;
  };
  StepParameters parameters_with_grad() const;

  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> state_;
  std::unordered_map<std::string, std::size_t> state_index_;  // name -> position in state_
  int64_t steps_taken_ = 0;
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<NamedTensor> parameters, kernels::SgdHyper hyper);
  void step() override;
  float learning_rate() const override { return hyper_.lr; }
  void set_learning_rate(float lr) override { hyper_.lr = lr; }

 private:
  kernels::SgdHyper hyper_;
};

// Adam, or AdamW when hyper.decoupled_weight_decay is set.
class Adam : public Optimizer {
 public:
  Adam(std::vector<NamedTensor> parameters, kernels::AdamHyper hyper);
  void step() override;
  float learning_rate() const override { return hyper_.lr; }
  void set_learning_rate(float lr) override { hyper_.lr = lr; }

 private:
  kernels::AdamHyper hyper_;
};

}  // namespace ihd
