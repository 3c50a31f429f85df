// Reverse-mode automatic differentiation over a dynamic graph, in the style of micrograd.
//
// Every op that produces a tensor needing a gradient attaches a Node to it: the node keeps the
// op's inputs and a closure that, given the gradient of the op's output, returns the gradient of
// each input. Tensor::backward() sorts the nodes reachable from the loss topologically and runs
// the closures from the loss back to the leaves. A tensor used twice (the residual add) receives
// the sum of both gradients; a leaf's gradient is accumulated (+=) into Tensor::grad(), and a
// caller may hear when each leaf's gradient is final (LeafGradientReady). Each node
// drops its saved tensors once it has run, so activations are freed as the backward pass goes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ihd {

struct Node {
  std::string op_name;
  std::vector<Tensor> inputs;  // one entry per differentiable input, in closure order
  // grad_output -> one gradient per input (an undefined Tensor where an input needs none).
  std::function<std::vector<Tensor>(const Tensor& grad_output)> backward;
};

// True unless a NoGradGuard is alive on this thread.
bool grad_enabled();

// While alive, ops record no graph (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any of the inputs requires a gradient.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

// Makes `output` the result of a differentiable op: marks it as requiring grad and attaches a node
// with the given inputs and backward closure. Call only when any_requires_grad(inputs) holds.
void attach_grad_fn(Tensor& output, std::string op_name, std::vector<Tensor> inputs,
                    std::function<std::vector<Tensor>(const Tensor&)> backward);

// Called once for each leaf (a parameter) as soon as its gradient is final during a backward
// pass: every node that reads it has run. Data-parallel training starts a gradient bucket's sum
// across ranks from here, while the rest of the backward pass goes on.
using LeafGradientReady = std::function<void(const Tensor& leaf)>;

// The body of Tensor::backward(), calling `on_leaf_ready` (when given) for each leaf it reaches.
void run_backward(const Tensor& loss, const LeafGradientReady& on_leaf_ready = {});

}  // namespace ihd
