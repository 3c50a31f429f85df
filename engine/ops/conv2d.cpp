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

kernels::Conv2dGeometry geometry_of(const Shape& x, const Shape& weight, const Tensor& bias,
                                    Conv2dOptions options) {
  IHD_CHECK(x.rank() == 4, "conv2d: input must be NHWC, got shape ", x.to_string());
  IHD_CHECK(weight.rank() == 4, "conv2d: weight must be OHWI, got shape ", weight.to_string());
  IHD_CHECK(weight[3] == x[3], "conv2d: input has ", x[3], " channels but the weight expects ",
            weight[3]);
  IHD_CHECK(!bias.defined() || bias.shape() == Shape{weight[0]}, "conv2d: bias must have shape [",
            weight[0], "]");
  IHD_CHECK(options.stride >= 1 && options.padding >= 0, "conv2d: bad stride or padding");
  kernels::Conv2dGeometry g;
  g.batch = static_cast<int>(x[0]);
  g.in_height = static_cast<int>(x[1]);
  g.in_width = static_cast<int>(x[2]);
  g.in_channels = static_cast<int>(x[3]);
  g.out_channels = static_cast<int>(weight[0]);
  g.kernel_height = static_cast<int>(weight[1]);
  g.kernel_width = static_cast<int>(weight[2]);
  g.stride = options.stride;
  g.padding = options.padding;
  IHD_CHECK(g.out_height() >= 1 && g.out_width() >= 1, "conv2d: kernel ", g.kernel_height, "x",
            g.kernel_width, " does not fit input ", x.to_string());
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

DType conv2d_compute_dtype(const Tensor& x) {
  return x.dtype() == DType::bf16 || autocast_dtype() == DType::bf16 ? DType::bf16 : DType::f32;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options) {
  const kernels::Conv2dGeometry g = geometry_of(x.shape(), weight.shape(), bias, options);
  if (conv2d_compute_dtype(x) == DType::bf16) {
    IHD_CHECK(!bias.defined(), "conv2d: a bfloat16 convolution takes no bias (ResNet's have none)");
    return convolve_bfloat16(g, cast(x, DType::bf16), cast(weight, DType::bf16));
  }
  return convolve_float32(g, x, weight, bias);
}

PreparedConv2d prepare_conv2d(const Tensor& weight, const Shape& input_shape, Conv2dOptions options,
                              DType activations) {
  IHD_CHECK(weight.dtype() == DType::f32, "prepare_conv2d: float32 weights only, got ",
            dtype_name(weight.dtype()));
  IHD_CHECK(activations == DType::f32 || activations == DType::bf16,
            "prepare_conv2d: float32 or bfloat16 activations only, got ", dtype_name(activations));
  const bool bfloat16 = activations == DType::bf16;
  const kernels::Conv2dGeometry g = geometry_of(input_shape, weight.shape(), Tensor(), options);
  std::size_t bytes = 0;
  IHD_ON_DEVICE(weight.device(), conv2d_prepared_weights_bytes, g, bfloat16, &bytes);
  PreparedConv2d prepared{
      .weights = Tensor::empty(Shape{static_cast<int64_t>((bytes + 3) / 4)}, weight.device()),
      .weight_shape = weight.shape(),
      .input_shape = input_shape,
      .activations = activations,
      .options = options};
  if (bfloat16) {
    const Tensor rounded = cast(weight, DType::bf16);
    IHD_ON_DEVICE(weight.device(), conv2d_prepare_weights, g, rounded.data_bf16(),
                  prepared.weights.raw_data());
  } else {
    IHD_ON_DEVICE(weight.device(), conv2d_prepare_weights, g, weight.data(),
                  prepared.weights.raw_data());
  }
  return prepared;
}

Tensor conv2d_fused(const Tensor& x, const PreparedConv2d& prepared, const Tensor& bias,
                    const Tensor& residual, bool relu) {
  IHD_CHECK(x.shape() == prepared.input_shape, "conv2d_fused: input ", x.shape().to_string(),
            " but the weights were prepared for ", prepared.input_shape.to_string());
  IHD_CHECK(x.dtype() == prepared.activations, "conv2d_fused: ", dtype_name(x.dtype()),
            " input but the weights were prepared for ", dtype_name(prepared.activations));
  IHD_CHECK(bias.defined() && bias.dtype() == DType::f32,
            "conv2d_fused: the bias is required, in float32");
  const kernels::Conv2dGeometry g =
      geometry_of(x.shape(), prepared.weight_shape, bias, prepared.options);
  const Shape y_shape = output_shape(g);
  IHD_CHECK(!residual.defined() || (residual.shape() == y_shape && residual.dtype() == x.dtype()),
            "conv2d_fused: residual must be ", dtype_name(x.dtype()), " ", y_shape.to_string());
  Tensor y = Tensor::empty(y_shape, x.device(), x.dtype());
  if (x.dtype() == DType::bf16) {
    IHD_ON_DEVICE(x.device(), conv2d_forward_fused, g, x.data_bf16(), prepared.weights.raw_data(),
                  bias.data(), residual.defined() ? residual.data_bf16() : nullptr, relu,
                  y.data_bf16());
  } else {
    IHD_ON_DEVICE(x.device(), conv2d_forward_fused, g, x.data(), prepared.weights.raw_data(),
                  bias.data(), residual.defined() ? residual.data() : nullptr, relu, y.data());
  }
  return y;
}

}  // namespace ihd
