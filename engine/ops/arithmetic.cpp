// add (float32 or bfloat16), mul, scale, sum, mean (float32), reshape, flatten (any dtype).
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {
namespace {

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  IHD_CHECK(a.shape() == b.shape(), op, ": shapes differ: ", a.shape().to_string(), " and ",
            b.shape().to_string());
  IHD_CHECK(a.device() == b.device(), op, ": tensors on ", a.device().to_string(), " and ",
            b.device().to_string());
  IHD_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: ", dtype_name(a.dtype()), " and ",
            dtype_name(b.dtype()));
}

Tensor empty_like(const Tensor& x) {
  return Tensor::empty(x.shape(), x.device());
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", a, b);
  Tensor out = Tensor::empty(a.shape(), a.device(), a.dtype());
  with_activation_type(a.dtype(), "add", [&](auto tag) {
    using T = decltype(tag);
    IHD_ON_DEVICE(a.device(), add, a.numel(), typed_data<T>(a), typed_data<T>(b),
                  typed_data<T>(out));
  });
  if (any_requires_grad({&a, &b})) {
    attach_grad_fn(out, "add", {a, b}, [](const Tensor& grad) {
      return std::vector<Tensor>{grad, grad};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", a, b);
  Tensor out = empty_like(a);
  IHD_ON_DEVICE(a.device(), mul, a.numel(), a.data(), b.data(), out.data());
  if (any_requires_grad({&a, &b})) {
    attach_grad_fn(out, "mul", {a, b}, [a, b](const Tensor& grad) {
      Tensor grad_a = empty_like(a), grad_b = empty_like(b);
      IHD_ON_DEVICE(a.device(), mul, a.numel(), grad.data(), b.data(), grad_a.data());
      IHD_ON_DEVICE(a.device(), mul, a.numel(), grad.data(), a.data(), grad_b.data());
      return std::vector<Tensor>{grad_a, grad_b};
    });
  }
  return out;
}

Tensor scale(const Tensor& x, float factor) {
  Tensor out = empty_like(x);
  IHD_ON_DEVICE(x.device(), scale, x.numel(), x.data(), factor, out.data());
  if (any_requires_grad({&x})) {
    attach_grad_fn(out, "scale", {x}, [factor](const Tensor& grad) {
      Tensor grad_x = empty_like(grad);
      IHD_ON_DEVICE(grad.device(), scale, grad.numel(), grad.data(), factor, grad_x.data());
      return std::vector<Tensor>{grad_x};
    });
  }
  return out;
}

namespace {

// sum(x) * factor, the body of sum and mean.
Tensor scaled_sum(const char* op, const Tensor& x, float factor) {
  Tensor out = Tensor::empty(Shape{}, x.device());
  IHD_ON_DEVICE(x.device(), sum, x.numel(), x.data(), out.data());
  if (factor != 1.0f) IHD_ON_DEVICE(x.device(), scale, 1, out.data(), factor, out.data());
  if (any_requires_grad({&x})) {
    attach_grad_fn(out, op, {x}, [shape = x.shape(), factor](const Tensor& grad) {
      Tensor grad_x = Tensor::empty(shape, grad.device());
      IHD_ON_DEVICE(grad.device(), broadcast_scalar, grad_x.numel(), grad.data(), factor,
                    grad_x.data());
      return std::vector<Tensor>{grad_x};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) {
  return scaled_sum("sum", x, 1.0f);
}

Tensor mean(const Tensor& x) {
  IHD_CHECK(x.numel() > 0, "mean of an empty tensor");
  return scaled_sum("mean", x, 1.0f / static_cast<float>(x.numel()));
}

Tensor reshape(const Tensor& x, Shape shape) {
  Tensor out = x.view(std::move(shape));
  if (any_requires_grad({&x})) {
    attach_grad_fn(out, "reshape", {x}, [input_shape = x.shape()](const Tensor& grad) {
      return std::vector<Tensor>{grad.view(input_shape)};
    });
  }
  return out;
}

Tensor flatten(const Tensor& x) {
  IHD_CHECK(x.rank() >= 1, "flatten needs at least one dimension");
  const int64_t batch = x.size(0);
  return reshape(x, Shape{batch, batch ? x.numel() / batch : 0});
}

}  // namespace ihd
