// max_pool2d and global_avg_pool, over float32 or bfloat16 activations (global_avg_pool always
// returns float32 features: the head after it computes in float32).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor max_pool2d(const Tensor& x, MaxPool2dOptions options) {
  IHD_CHECK(x.rank() == 4, "max_pool2d: input must be NHWC, got ", x.shape().to_string());
  kernels::Pool2dGeometry g;
  g.batch = static_cast<int>(x.size(0));
  g.in_height = static_cast<int>(x.size(1));
  g.in_width = static_cast<int>(x.size(2));
  g.channels = static_cast<int>(x.size(3));
  g.kernel = options.kernel;
  g.stride = options.stride;
  g.padding = options.padding;
  IHD_CHECK(g.kernel >= 1 && g.stride >= 1 && g.padding >= 0 && 2 * g.padding <= g.kernel,
            "max_pool2d: bad kernel/stride/padding");
  IHD_CHECK(g.out_height() >= 1 && g.out_width() >= 1, "max_pool2d: window does not fit input ",
            x.shape().to_string());
  return with_activation_type(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    Tensor y = Tensor::empty(Shape{g.batch, g.out_height(), g.out_width(), g.channels}, x.device(),
                             x.dtype());
    IHD_ON_DEVICE(x.device(), max_pool2d_forward, g, typed_data<T>(x), typed_data<T>(y));
    if (any_requires_grad({&x})) {
      attach_grad_fn(y, "max_pool2d", {x}, [g, x, output = y.detach()](const Tensor& grad) {
        Tensor grad_x = Tensor::empty(x.shape(), x.device(), x.dtype());
        IHD_ON_DEVICE(x.device(), max_pool2d_backward, g, typed_data<T>(x), typed_data<T>(output),
                      typed_data<T>(grad), typed_data<T>(grad_x));
        return std::vector<Tensor>{grad_x};
      });
    }
    return y;
  });
}

Tensor global_avg_pool(const Tensor& x) {
  IHD_CHECK(x.rank() == 4, "global_avg_pool: input must be NHWC, got ", x.shape().to_string());
  const int batch = static_cast<int>(x.size(0));
  const int64_t pixels = x.size(1) * x.size(2);
  const int channels = static_cast<int>(x.size(3));
  IHD_CHECK(pixels > 0, "global_avg_pool: empty image");
  return with_activation_type(x.dtype(), "global_avg_pool", [&](auto tag) {
    using T = decltype(tag);
    Tensor y = Tensor::empty(Shape{batch, channels}, x.device());
    IHD_ON_DEVICE(x.device(), global_avg_pool_forward, batch, pixels, channels, typed_data<T>(x),
                  y.data());
    if (any_requires_grad({&x})) {
      attach_grad_fn(
          y, "global_avg_pool", {x},
          [shape = x.shape(), dtype = x.dtype(), batch, pixels, channels](const Tensor& grad) {
            Tensor grad_x = Tensor::empty(shape, grad.device(), dtype);
            IHD_ON_DEVICE(grad.device(), global_avg_pool_backward, batch, pixels, channels,
                          grad.data(), typed_data<T>(grad_x));
            return std::vector<Tensor>{grad_x};
          });
    }
    return y;
  });
}

}  // namespace ihd
