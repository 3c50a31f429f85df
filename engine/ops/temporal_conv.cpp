// temporal_conv1d: checks the input, lengths, weight and bias, builds the geometry both
// backends' kernels take (kernels/temporal_conv.h), and wires the backward pass. The backward pass
// rebuilds the patches from x rather than keeping them from the forward pass (k times x's size).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/ops/sequence_input.h"

namespace ihd {

Tensor temporal_conv1d(const Tensor& x, const std::vector<int>& lengths, const Tensor& weight,
                       const Tensor& bias, int dilation) {
  check_sequence_input("temporal_conv1d", x, lengths);
  IHD_CHECK(weight.rank() == 3, "temporal_conv1d: weight must be [out_channels, kernel, ",
            "in_channels], got shape ", weight.shape().to_string());
  IHD_CHECK(weight.size(2) == x.size(2), "temporal_conv1d: input has ", x.size(2),
            " channels but the weight expects ", weight.size(2));
  IHD_CHECK(weight.size(1) % 2 == 1, "temporal_conv1d: the kernel size must be odd ('same' ",
            "padding), got ", weight.size(1));
  IHD_CHECK(!bias.defined() || bias.shape() == Shape{weight.size(0)},
            "temporal_conv1d: bias must have shape [", weight.size(0), "]");
  IHD_CHECK(dilation >= 1, "temporal_conv1d: dilation must be at least 1, got ", dilation);
  IHD_CHECK(weight.device() == x.device() && (!bias.defined() || bias.device() == x.device()),
            "temporal_conv1d: weight and bias must be on the input's device, ",
            x.device().to_string());
  kernels::TemporalConvGeometry g;
  g.batch = static_cast<int>(x.size(0));
  g.steps = static_cast<int>(x.size(1));
  g.in_channels = static_cast<int>(x.size(2));
  g.out_channels = static_cast<int>(weight.size(0));
  g.kernel = static_cast<int>(weight.size(1));
  g.dilation = dilation;
  const Device device = x.device();
  Tensor y = Tensor::empty(Shape{g.batch, g.steps, g.out_channels}, device);
  IHD_ON_DEVICE(device, temporal_conv1d_forward, g, lengths.data(), x.data(), weight.data(),
                bias.defined() ? bias.data() : nullptr, y.data());
  if (any_requires_grad({&x, &weight, &bias})) {
    attach_grad_fn(y, "temporal_conv1d", {x, weight, bias}, [=](const Tensor& grad) {
      Tensor grad_x, grad_bias;
      if (x.requires_grad()) grad_x = Tensor::empty(x.shape(), device);
      Tensor grad_weight = Tensor::empty(weight.shape(), device);
      if (bias.defined()) grad_bias = Tensor::empty(bias.shape(), device);
      IHD_ON_DEVICE(device, temporal_conv1d_backward, g, lengths.data(), x.data(), weight.data(),
                    grad.data(), grad_x.defined() ? grad_x.data() : nullptr, grad_weight.data(),
                    grad_bias.defined() ? grad_bias.data() : nullptr);
      return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
    });
  }
  return y;
}

}  // namespace ihd
