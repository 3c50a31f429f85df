// conv2d: checks shapes, builds the geometry both backends' kernels take, and wires the backward
// pass (gradient of the input by "backward data", of the weight and bias by "backward weight").
// Under bfloat16 autocast (or with a bfloat16 input) the input and weight pass through cast(),
// whose backward hands float32 gradients to float32 tensors.
#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {
namespace {

kernels::Conv2dGeometry geometry_of(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    Conv2dOptions options) {
  IHD_CHECK(x.rank() == 4, "conv2d: input must be NHWC, got shape ", x.shape().to_string());
  IHD_CHECK(weight.rank() == 4, "conv2d: weight must be OHWI, got shape ",
            weight.shape().to_string());
  IHD_CHECK(weight.size(3) == x.size(3), "conv2d: input has ", x.size(3),
            " channels but the weight expects ", weight.size(3));
  IHD_CHECK(!bias.defined() || bias.shape() == Shape{weight.size(0)},
            "conv2d: bias must have shape [", weight.size(0), "]");
  IHD_CHECK(options.stride >= 1 && options.padding >= 0, "conv2d: bad stride or padding");
  kernels::Conv2dGeometry g;
  g.batch = static_cast<int>(x.size(0));
  g.in_height = static_cast<int>(x.size(1));
  g.in_width = static_cast<int>(x.size(2));
  g.in_channels = static_cast<int>(x.size(3));
  g.out_channels = static_cast<int>(weight.size(0));
  g.kernel_height = static_cast<int>(weight.size(1));
  g.kernel_width = static_cast<int>(weight.size(2));
  g.stride = options.stride;
  g.padding = options.padding;
  IHD_CHECK(g.out_height() >= 1 && g.out_width() >= 1, "conv2d: kernel ", g.kernel_height, "x",
            g.kernel_width, " does not fit input ", x.shape().to_string());
  return g;
}

Shape output_shape(const kernels::Conv2dGeometry& g) {
  return Shape{g.batch, g.out_height(), g.out_width(), g.out_channels};
}

Tensor convolve_float32(const kernels::Conv2dGeometry& g, const Tensor& x, const Tensor& weight,
                        const Tensor& bias) {
  Tensor y = Tensor::empty(output_shape(g), x.device());
  IHD_ON_DEVICE(x.device(), conv2d_forward, g, x.data(), weight.data(),
                bias.defined() ? bias.data() : nullptr, y.data());
  if (any_requires_grad({&x, &weight, &bias})) {
    attach_grad_fn(y, "conv2d", {x, weight, bias}, [g, x, weight, bias](const Tensor& grad) {
      Tensor grad_x, grad_weight, grad_bias;
      if (x.requires_grad()) {
        grad_x = Tensor::empty(x.shape(), x.device());
        IHD_ON_DEVICE(x.device(), conv2d_backward_data, g, grad.data(), weight.data(),
                      grad_x.data());
      }
      if (weight.requires_grad() || bias.requires_grad()) {
        grad_weight = Tensor::empty(weight.shape(), x.device());
        if (bias.defined()) grad_bias = Tensor::empty(bias.shape(), x.device());
        IHD_ON_DEVICE(x.device(), conv2d_backward_weight, g, x.data(), grad.data(),
                      grad_weight.data(), bias.defined() ? grad_bias.data() : nullptr);
      }
      return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
    });
  }
  return y;
}

// x and weight are bfloat16 here.
Tensor convolve_bfloat16(const kernels::Conv2dGeometry& g, const Tensor& x, const Tensor& weight) {
  Tensor y = Tensor::empty(output_shape(g), x.device(), DType::bf16);
  IHD_ON_DEVICE(x.device(), conv2d_forward, g, x.data_bf16(), weight.data_bf16(), y.data_bf16());
  if (any_requires_grad({&x, &weight})) {
    attach_grad_fn(y, "conv2d", {x, weight}, [g, x, weight](const Tensor& grad) {
      Tensor grad_x, grad_weight;
      if (x.requires_grad()) {
        grad_x = Tensor::empty(x.shape(), x.device(), DType::bf16);
        IHD_ON_DEVICE(x.device(), conv2d_backward_data, g, grad.data_bf16(), weight.data_bf16(),
                      grad_x.data_bf16());
      }
      if (weight.requires_grad()) {
        grad_weight = Tensor::empty(weight.shape(), x.device(), DType::bf16);
        IHD_ON_DEVICE(x.device(), conv2d_backward_weight, g, x.data_bf16(), grad.data_bf16(),
                      grad_weight.data_bf16());
      }
      return std::vector<Tensor>{grad_x, grad_weight};
    });
  }
  return y;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options) {
  const kernels::Conv2dGeometry g = geometry_of(x, weight, bias, options);
  if (x.dtype() == DType::bf16 || autocast_dtype() == DType::bf16) {
    IHD_CHECK(!bias.defined(), "conv2d: a bfloat16 convolution takes no bias (ResNet's have none)");
    return convolve_bfloat16(g, cast(x, DType::bf16), cast(weight, DType::bf16));
  }
  return convolve_float32(g, x, weight, bias);
}

}  // namespace ihd
