// relu and sigmoid. Both backward passes use the op's output, so the input can be freed.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  IHD_ON_DEVICE(x.device(), relu_forward, x.numel(), x.data(), y.data());
  if (any_requires_grad({&x})) {
    // The closure keeps y's storage, not y itself: y owns this node, so holding it would leak.
    attach_grad_fn(y, "relu", {x}, [output = y.detach()](const Tensor& grad) {
      Tensor grad_x = Tensor::empty(grad.shape(), grad.device());
      IHD_ON_DEVICE(grad.device(), relu_backward, grad.numel(), output.data(), grad.data(),
                    grad_x.data());
      return std::vector<Tensor>{grad_x};
    });
  }
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  IHD_ON_DEVICE(x.device(), sigmoid_forward, x.numel(), x.data(), y.data());
  if (any_requires_grad({&x})) {
    attach_grad_fn(y, "sigmoid", {x}, [output = y.detach()](const Tensor& grad) {
      Tensor grad_x = Tensor::empty(grad.shape(), grad.device());
      IHD_ON_DEVICE(grad.device(), sigmoid_backward, grad.numel(), output.data(), grad.data(),
                    grad_x.data());
      return std::vector<Tensor>{grad_x};
    });
  }
  return y;
}

}  // namespace ihd
