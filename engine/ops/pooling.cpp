// max_pool2d and global_avg_pool.
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
  Tensor y = Tensor::empty(Shape{g.batch, g.out_height(), g.out_width(), g.channels}, x.device());
  IHD_ON_DEVICE(x.device(), max_pool2d_forward(g, x.data(), y.data()));
  if (any_requires_grad({&x})) {
    attach_grad_fn(y, "max_pool2d", {x}, [g, x, output = y.detach()](const Tensor& grad) {
      Tensor grad_x = Tensor::empty(x.shape(), x.device());
      IHD_ON_DEVICE(x.device(),
                    max_pool2d_backward(g, x.data(), output.data(), grad.data(), grad_x.data()));
      return std::vector<Tensor>{grad_x};
    });
  }
  return y;
}

Tensor global_avg_pool(const Tensor& x) {
  IHD_CHECK(x.rank() == 4, "global_avg_pool: input must be NHWC, got ", x.shape().to_string());
  const int batch = static_cast<int>(x.size(0));
  const int64_t pixels = x.size(1) * x.size(2);
  const int channels = static_cast<int>(x.size(3));
  IHD_CHECK(pixels > 0, "global_avg_pool: empty image");
  Tensor y = Tensor::empty(Shape{batch, channels}, x.device());
  IHD_ON_DEVICE(x.device(), global_avg_pool_forward(batch, pixels, channels, x.data(), y.data()));
  if (any_requires_grad({&x})) {
    attach_grad_fn(y, "global_avg_pool", {x},
                   [shape = x.shape(), batch, pixels, channels](const Tensor& grad) {
                     Tensor grad_x = Tensor::empty(shape, grad.device());
                     IHD_ON_DEVICE(grad.device(),
                                   global_avg_pool_backward(batch, pixels, channels, grad.data(),
                                                            grad_x.data()));
                     return std::vector<Tensor>{grad_x};
                   });
  }
  return y;
}

}  // namespace ihd
