// Optimizers with PyTorch's update rules: SGD (momentum, dampening, Nesterov, weight decay),
// Adam and AdamW. Each keeps per-parameter state tensors named after the parameter
// ("layer1.0.conv1.weight.exp_avg"), so that a checkpoint can store and restore them exactly.
// Parameters without a gradient (frozen, or unused this step) are skipped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/module.h"
#include "kernels/cpu/optimizer.h"

namespace ihd {

class Optimizer {
 public:
  explicit Optimizer(std::vector<NamedTensor> parameters) : parameters_(std::move(parameters)) {}
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
  // The state tensor `suffix` of parameter i, created as zeros on first use.
  Tensor& state_of(std::size_t i, const std::string& suffix);

  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> state_;
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
