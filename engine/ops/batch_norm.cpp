// batch_norm (with the fused residual add and ReLU): statistics, running-stat update, apply; the
// backward pass saves the batch mean and invstd from the forward pass. Activations may be float32
// or bfloat16 (with_activation_type picks the kernel overloads); statistics are float32.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, BatchNormOptions options,
                  const Tensor& residual) {
  IHD_CHECK(x.rank() == 4 || x.rank() == 2, "batch_norm: input must be NHWC or [N, C], got ",
            x.shape().to_string());
  const int channels = static_cast<int>(x.size(-1));
  const int64_t rows = x.numel() / channels;
  const Shape channel_shape{channels};
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var}) {
    IHD_CHECK(t->shape() == channel_shape, "batch_norm: per-channel tensors must have shape ",
              channel_shape.to_string(), ", got ", t->shape().to_string());
  }
  IHD_CHECK(!residual.defined() || residual.shape() == x.shape(), "batch_norm: residual shape ",
            residual.defined() ? residual.shape().to_string() : "", " differs from input ",
            x.shape().to_string());
  IHD_CHECK(!residual.defined() || residual.dtype() == x.dtype(), "batch_norm: residual is ",
            residual.defined() ? dtype_name(residual.dtype()) : "", " but the input is ",
            dtype_name(x.dtype()));
  return with_activation_type(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const Device device = x.device();
    Tensor mean = Tensor::empty(channel_shape, device);
    Tensor invstd = Tensor::empty(channel_shape, device);
    if (options.training) {
      IHD_CHECK(rows > 1, "batch_norm: training needs more than one value per channel, got input ",
                x.shape().to_string());
      IHD_ON_DEVICE(device, batch_norm_statistics(rows, channels, typed_data<T>(x), options.eps,
                                                  mean.data(), invstd.data()));
      IHD_ON_DEVICE(device, batch_norm_update_running(rows, channels, mean.data(), invstd.data(),
                                                      options.eps, options.momentum,
                                                      running_mean.data(), running_var.data()));
    } else {
      IHD_ON_DEVICE(device,
                    batch_norm_running_statistics(channels, running_mean.data(), running_var.data(),
                                                  options.eps, mean.data(), invstd.data()));
    }
    Tensor y = Tensor::empty(x.shape(), device, x.dtype());
    IHD_ON_DEVICE(
        device, batch_norm_apply(rows, channels, typed_data<T>(x), mean.data(), invstd.data(),
                                 weight.data(), bias.data(), typed_data<T>(residual), options.relu,
                                 typed_data<T>(y)));
    if (any_requires_grad({&x, &weight, &bias, &residual})) {
      attach_grad_fn(
          y, "batch_norm", {x, weight, bias, residual},
          [=, output = y.detach()](const Tensor& grad) {
            Tensor grad_x = Tensor::empty(x.shape(), device, x.dtype());
            Tensor grad_weight = Tensor::empty(channel_shape, device);
            Tensor grad_bias = Tensor::empty(channel_shape, device);
            Tensor grad_residual;
            if (residual.requires_grad()) {
              grad_residual = Tensor::empty(x.shape(), device, x.dtype());
            }
            IHD_ON_DEVICE(device, batch_norm_backward_reduce(
                                      rows, channels, typed_data<T>(x), typed_data<T>(output),
                                      typed_data<T>(grad), mean.data(), invstd.data(), options.relu,
                                      grad_weight.data(), grad_bias.data()));
            IHD_ON_DEVICE(device,
                          batch_norm_backward_input(
                              rows, rows, channels, typed_data<T>(x), typed_data<T>(output),
                              typed_data<T>(grad), mean.data(), invstd.data(), weight.data(),
                              options.relu, options.training, grad_weight.data(), grad_bias.data(),
                              typed_data<T>(grad_x), typed_data<T>(grad_residual)));
            return std::vector<Tensor>{grad_x, grad_weight, grad_bias, grad_residual};
          });
    }
    return y;
  });
}

}  // namespace ihd
