// gru_bidirectional: checks the input, the lengths and both directions' weights, runs the kernel
// of x's device (kernels/gru.h), and wires the backward pass. The forward pass keeps the
// gates and hidden states the backward pass needs in one `saved` tensor, freed with the node.
#include <string>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/ops/sequence_input.h"

namespace ihd {
namespace {

void check_direction(const GruWeights& w, const std::string& direction, const Tensor& x,
                     int64_t hidden_size) {
  const int64_t gate_rows = 3 * hidden_size;
  const auto check = [&](const Tensor& tensor, const char* name, const Shape& shape) {
    IHD_CHECK(tensor.defined(), "gru_bidirectional: the ", direction, " ", name, " is missing");
    IHD_CHECK(tensor.shape() == shape, "gru_bidirectional: the ", direction, " ", name,
              " must have shape ", shape.to_string(), ", got ", tensor.shape().to_string());
    IHD_CHECK(tensor.device() == x.device(), "gru_bidirectional: the ", direction, " ", name,
              " is on ", tensor.device().to_string(), " but the input on ", x.device().to_string());
  };
  check(w.weight_ih, "weight_ih", Shape{gate_rows, x.size(2)});
  check(w.weight_hh, "weight_hh", Shape{gate_rows, hidden_size});
  check(w.bias_ih, "bias_ih", Shape{gate_rows});
  check(w.bias_hh, "bias_hh", Shape{gate_rows});
}

kernels::GruDirectionWeights pointers_of(const GruWeights& w) {
  return {w.weight_ih.data(), w.weight_hh.data(), w.bias_ih.data(), w.bias_hh.data()};
}

// The four gradients of one direction, allocated like its weights.
struct GruGradients {
  explicit GruGradients(const GruWeights& w)
      : weight_ih(Tensor::empty(w.weight_ih.shape(), w.weight_ih.device())),
        weight_hh(Tensor::empty(w.weight_hh.shape(), w.weight_hh.device())),
        bias_ih(Tensor::empty(w.bias_ih.shape(), w.bias_ih.device())),
        bias_hh(Tensor::empty(w.bias_hh.shape(), w.bias_hh.device())) {}
  kernels::GruDirectionGradients pointers() const {
    return {weight_ih.data(), weight_hh.data(), bias_ih.data(), bias_hh.data()};
  }
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};

}  // namespace

Tensor gru_bidirectional(const Tensor& x, const std::vector<int>& lengths,
                         const GruWeights& forward, const GruWeights& reverse) {
  check_sequence_input("gru_bidirectional", x, lengths);
  IHD_CHECK(forward.weight_hh.defined() && forward.weight_hh.rank() == 2,
            "gru_bidirectional: the forward weight_hh must be [3 hidden_size, hidden_size]");
  const int64_t hidden_size = forward.weight_hh.size(1);
  check_direction(forward, "forward", x, hidden_size);
  check_direction(reverse, "reverse", x, hidden_size);
  kernels::GruGeometry g;
  g.batch = static_cast<int>(x.size(0));
  g.steps = static_cast<int>(x.size(1));
  g.input_size = static_cast<int>(x.size(2));
  g.hidden_size = static_cast<int>(hidden_size);
  const Device device = x.device();
  Tensor y = Tensor::empty(Shape{g.batch, g.steps, 2 * g.hidden_size}, device);
  Tensor saved = Tensor::empty(Shape{2 * g.saved_elements_per_direction()}, device);
  IHD_ON_DEVICE(device, gru_bidirectional_forward, g, lengths.data(), x.data(),
                pointers_of(forward), pointers_of(reverse), y.data(), saved.data());
  if (any_requires_grad({&x, &forward.weight_ih, &forward.weight_hh, &forward.bias_ih,
                         &forward.bias_hh, &reverse.weight_ih, &reverse.weight_hh, &reverse.bias_ih,
                         &reverse.bias_hh})) {
    attach_grad_fn(y, "gru_bidirectional",
                   {x, forward.weight_ih, forward.weight_hh, forward.bias_ih, forward.bias_hh,
                    reverse.weight_ih, reverse.weight_hh, reverse.bias_ih, reverse.bias_hh},
                   [=](const Tensor& grad) {
                     Tensor grad_x;
                     if (x.requires_grad()) grad_x = Tensor::empty(x.shape(), device);
                     const GruGradients grad_forward(forward), grad_reverse(reverse);
                     IHD_ON_DEVICE(device, gru_bidirectional_backward, g, lengths.data(), x.data(),
                                   pointers_of(forward), pointers_of(reverse), saved.data(),
                                   grad.data(), grad_x.defined() ? grad_x.data() : nullptr,
                                   grad_forward.pointers(), grad_reverse.pointers());
                     return std::vector<Tensor>{grad_x,
                                                grad_forward.weight_ih,
                                                grad_forward.weight_hh,
                                                grad_forward.bias_ih,
                                                grad_forward.bias_hh,
                                                grad_reverse.weight_ih,
                                                grad_reverse.weight_hh,
                                                grad_reverse.bias_ih,
                                                grad_reverse.bias_hh};
                   });
  }
  return y;
}

}  // namespace ihd
