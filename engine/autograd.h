// Reverse-mode automatic differentiation over a dynamic graph, in the style of micrograd.
//
// Every op that produces a tensor needing a gradient attaches a Node to it: the node keeps the
// op's inputs and a closure that, given the gradient of the op's output, returns the gradient of
// each input. Tensor::backward() sorts the nodes reachable from the loss topologically and runs
// the closures from the loss back to the leaves. A tensor used twice (the residual add) receives
// the sum of both gradients; a leaf's gradient is accumulated (+=) into Tensor::grad(). Each node
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

// The body of Tensor::backward().
void run_backward(const Tensor& loss);

}  // namespace ihd
