// linear: y = x w^T + b.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  IHD_CHECK(x.rank() == 2 && weight.rank() == 2, "linear: input ", x.shape().to_string(),
            " and weight ", weight.shape().to_string(), " must both be 2-D");
  IHD_CHECK(x.size(1) == weight.size(1), "linear: input has ", x.size(1),
            " features but the weight expects ", weight.size(1));
  IHD_CHECK(!bias.defined() || bias.shape() == Shape{weight.size(0)},
            "linear: bias must have shape [", weight.size(0), "]");
  const int batch = static_cast<int>(x.size(0));
  const int in_features = static_cast<int>(x.size(1));
  const int out_features = static_cast<int>(weight.size(0));
  Tensor y = Tensor::empty(Shape{batch, out_features}, x.device());
  IHD_ON_DEVICE(x.device(), linear_forward, batch, in_features, out_features, x.data(),
                weight.data(), bias.defined() ? bias.data() : nullptr, y.data());
  if (any_requires_grad({&x, &weight, &bias})) {
    attach_grad_fn(y, "linear", {x, weight, bias}, [=](const Tensor& grad) {
      Tensor grad_x;
      if (x.requires_grad()) grad_x = Tensor::empty(x.shape(), x.device());
      Tensor grad_weight = Tensor::empty(weight.shape(), x.device());
      Tensor grad_bias;
      if (bias.defined()) grad_bias = Tensor::empty(bias.shape(), x.device());
      IHD_ON_DEVICE(x.device(), linear_backward, batch, in_features, out_features, x.data(),
                    weight.data(), grad.data(), grad_x.defined() ? grad_x.data() : nullptr,
                    grad_weight.data(), grad_bias.defined() ? grad_bias.data() : nullptr);
      return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
    });
  }
  return y;
}

}  // namespace ihd
