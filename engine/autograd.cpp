// The autograd engine: topological sort, gradient accumulation, leaf gradients.
#include "engine/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "engine/ops.h"

namespace ihd {
namespace {

thread_local bool grad_mode_enabled = true;

// Nodes reachable from `root`, each after every node that consumes its output. The order owns
// the nodes: running a node's backward releases its inputs, which may own the next nodes.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  // Iterative depth-first post-order, so deep networks cannot overflow the stack.
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const Tensor& input = node->inputs[next_input++];
      std::shared_ptr<Node> producer = input.defined() ? input.grad_fn() : nullptr;
      if (producer && visited.insert(producer.get()).second) stack.push_back({producer, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};
}

// grad = grad + addition, allocating only when `grad` is still empty.
void accumulate(Tensor& grad, const Tensor& addition) {
  if (!grad.defined()) {
    grad = addition;
  } else {
    grad = add(grad, addition);
  }
}

bool is_leaf_needing_grad(const Tensor& t) {
  return t.defined() && t.requires_grad() && !t.grad_fn();
}

// How many inputs of the ordered nodes read each leaf that needs a gradient: the accumulations a
// leaf may receive before its gradient is final.
std::unordered_map<const TensorImpl*, int> leaf_reads(
    const std::vector<std::shared_ptr<Node>>& order) {
  std::unordered_map<const TensorImpl*, int> reads;
  for (const std::shared_ptr<Node>& node : order) {
    for (const Tensor& input : node->inputs) {
      if (is_leaf_needing_grad(input)) ++reads[input.impl()];
    }
  }
  return reads;
}

}  // namespace

bool grad_enabled() {
  return grad_mode_enabled;
}

NoGradGuard::NoGradGuard() : previous_(grad_mode_enabled) {
  grad_mode_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  grad_mode_enabled = previous_;
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_mode_enabled) return false;
  for (const Tensor* input : inputs) {
    if (input && input->requires_grad()) return true;
  }
  return false;
}

void attach_grad_fn(Tensor& output, std::string op_name, std::vector<Tensor> inputs,
                    std::function<std::vector<Tensor>(const Tensor&)> backward) {
  auto node = std::make_shared<Node>();
  node->op_name = std::move(op_name);
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.impl()->requires_grad = true;
  output.impl()->grad_fn = std::move(node);
}

void run_backward(const Tensor& loss, const LeafGradientReady& on_leaf_ready) {
  IHD_CHECK(loss.numel() == 1, "backward() needs a scalar loss, got shape ",
            loss.shape().to_string());
  IHD_CHECK(loss.requires_grad(), "backward() on a tensor that does not require grad");
  const Tensor seed = Tensor::full(loss.shape(), 1.0f, loss.device());
  if (!loss.grad_fn()) {
    Tensor grad = loss.grad();
    accumulate(grad, seed);
    loss.set_grad(grad);
    return;
  }
  NoGradGuard no_grad;  // gradients of gradients are not needed
  std::unordered_map<Node*, Tensor> grad_of_output{{loss.grad_fn().get(), seed}};
  const std::vector<std::shared_ptr<Node>> order = topological_order(loss.grad_fn());
  std::unordered_map<const TensorImpl*, int> reads_left;
  if (on_leaf_ready) reads_left = leaf_reads(order);
  for (const std::shared_ptr<Node>& node : order) {
    auto pending = grad_of_output.find(node.get());
    if (pending == grad_of_output.end()) continue;
    const Tensor grad_output = std::move(pending->second);
    grad_of_output.erase(pending);
    const std::vector<Tensor> grad_inputs = node->backward(grad_output);
    IHD_CHECK(grad_inputs.size() == node->inputs.size(), "op ", node->op_name, " returned ",
              grad_inputs.size(), " gradients for ", node->inputs.size(), " inputs");
    for (std::size_t i = 0; i < grad_inputs.size(); ++i) {
      const Tensor& input = node->inputs[i];
      if (!grad_inputs[i].defined() || !input.requires_grad()) continue;
      IHD_CHECK(grad_inputs[i].shape() == input.shape(), "op ", node->op_name,
                " returned a gradient of shape ", grad_inputs[i].shape().to_string(),
                " for an input of shape ", input.shape().to_string());
      if (input.grad_fn()) {
        accumulate(grad_of_output[input.grad_fn().get()], grad_inputs[i]);
      } else {
        Tensor grad = input.grad();
        accumulate(grad, grad_inputs[i]);
        input.set_grad(grad);
      }
    }
    if (on_leaf_ready) {
      for (const Tensor& input : node->inputs) {
        if (is_leaf_needing_grad(input) && --reads_left[input.impl()] == 0) on_leaf_ready(input);
      }
    }
    // Free the activations this node kept alive.
    node->inputs.clear();
    node->backward = nullptr;
  }
}

}  // namespace ihd
