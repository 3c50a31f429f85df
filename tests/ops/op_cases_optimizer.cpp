// Op cases of the optimizer steps (engine/optim/optimizer.h): SGD (plain, momentum with dampening
// and weight decay, Nesterov), Adam and AdamW, each over parameters of uneven sizes (one element,
// odd, empty, across the CUDA kernel's 8192-element chunks, a large one, and enough small ones to
// need a second launch of 256 parameters), for several steps, so that the first step's rules and
// the later ones both run. The parameters are updated in place: the backends compare them and
// the optimizer's state after the steps. Not differentiable; float32 only; tolerance 1e-12 (the
// same element rule, kernels/rules, on both sides). The performance cases step ResNet-50's 161
// parameters once.
#include "engine/optim/optimizer.h"
#include "op_case.h"

namespace ihd::op_cases {
namespace {

enum class Rule { sgd, sgd_momentum, sgd_nesterov, adam, adamw };

const char* rule_name(Rule rule) {
  switch (rule) {
    case Rule::sgd:
      return "SGD";
    case Rule::sgd_momentum:
      return "SGD with momentum";
    case Rule::sgd_nesterov:
      return "SGD with Nesterov momentum";
    case Rule::adam:
      return "Adam";
    case Rule::adamw:
      return "AdamW";
  }
  return "";
}

std::unique_ptr<Optimizer> make_optimizer(Rule rule, std::vector<NamedTensor> parameters) {
  if (rule == Rule::adam || rule == Rule::adamw) {
    kernels::AdamHyper hyper;
    hyper.weight_decay = 0.01f;
    hyper.decoupled_weight_decay = rule == Rule::adamw;
    return std::make_unique<Adam>(std::move(parameters), hyper);
  }
  kernels::SgdHyper hyper;
  hyper.lr = 0.1f;
  if (rule != Rule::sgd) {
    hyper.momentum = 0.9f;
    hyper.weight_decay = 1e-4f;
    hyper.dampening = rule == Rule::sgd_momentum ? 0.1f : 0.0f;
    hyper.nesterov = rule == Rule::sgd_nesterov;
  }
  return std::make_unique<Sgd>(std::move(parameters), hyper);
}

// Inputs: the parameters, then their gradients (constants both: the steps write the parameters).
// Outputs: the optimizer's state after `steps` steps.
OpCase optimizer_case(Rule rule, const std::vector<int64_t>& sizes, const std::string& sizes_name,
                      int steps, unsigned uses) {
  OpCase op_case{.family = "optimizer",
                 .name = std::string(rule_name(rule)) + ", " + std::to_string(steps) +
                         " steps over " + sizes_name,
                 .uses = uses};
  for (const int64_t n : sizes) op_case.inputs.push_back({Shape{n}, Role::constant});
  for (const int64_t n : sizes) op_case.inputs.push_back({Shape{n}, Role::constant});
  op_case.run = [rule, count = sizes.size(), steps](const std::vector<Tensor>& in) {
    std::vector<NamedTensor> parameters;
    for (std::size_t k = 0; k < count; ++k) {
      in[k].set_grad(in[count + k]);
      parameters.emplace_back(std::to_string(k), in[k]);
    }
    const std::unique_ptr<Optimizer> optimizer = make_optimizer(rule, parameters);
    for (int step = 0; step < steps; ++step) optimizer->step();
    std::vector<Tensor> state;
    for (const auto& [name, tensor] : optimizer->state()) state.push_back(tensor);
    return state;
  };
  return op_case;
}

std::vector<int64_t> uneven_sizes() {
  std::vector<int64_t> sizes = {1, 7, 0, 4097, 8192, 8193, 1000003};
  for (int i = 0; i < 300; ++i) sizes.push_back(1 + i % 13);
  return sizes;
}

// Element counts of ResNet-50's 161 parameters: convolution weights, batch-norm scale and shift,
// the 1000-class fully connected layer (25,557,032 in all).
std::vector<int64_t> resnet50_parameter_sizes() {
  std::vector<int64_t> sizes;
  const auto conv_bn = [&](int64_t in, int64_t out, int64_t kernel) {
    sizes.insert(sizes.end(), {out * in * kernel * kernel, out, out});
  };
  conv_bn(3, 64, 7);
  int64_t in = 64;
  const int blocks_per_stage[] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = int64_t{64} << stage, out = 4 * width;
    for (int block = 0; block < blocks_per_stage[stage]; ++block) {
      conv_bn(in, width, 1);
      conv_bn(width, width, 3);
      conv_bn(width, out, 1);
      if (block == 0) conv_bn(in, out, 1);
      in = out;
    }
  }
  sizes.insert(sizes.end(), {2048 * 1000, 1000});
  return sizes;
}

}  // namespace

void add_optimizer_cases(std::vector<OpCase>& cases) {
  const std::vector<int64_t> uneven = uneven_sizes(), resnet50 = resnet50_parameter_sizes();
  for (const Rule rule :
       {Rule::sgd, Rule::sgd_momentum, Rule::sgd_nesterov, Rule::adam, Rule::adamw}) {
    cases.push_back(optimizer_case(rule, uneven, "307 uneven parameters", 3, kBackends));
  }
  for (const Rule rule : {Rule::sgd_momentum, Rule::adam, Rule::adamw}) {
    cases.push_back(optimizer_case(rule, resnet50, "ResNet-50's 161 parameters", 1, kPerformance));
  }
}

}  // namespace ihd::op_cases
