// cast: float32 <-> bfloat16, the seam of mixed precision. Its gradient is the gradient cast back
// to the input's dtype, so float32 master weights receive float32 gradients.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  const bool widening = x.dtype() == DType::bf16 && dtype == DType::f32;
  const bool narrowing = x.dtype() == DType::f32 && dtype == DType::bf16;
  IHD_CHECK(widening || narrowing, "cast: only float32 <-> bfloat16, not ", dtype_name(x.dtype()),
            " -> ", dtype_name(dtype));
  Tensor y = Tensor::empty(x.shape(), x.device(), dtype);
  if (narrowing) {
    IHD_ON_DEVICE(x.device(), convert, x.numel(), x.data(), y.data_bf16());
  } else {
    IHD_ON_DEVICE(x.device(), convert, x.numel(), x.data_bf16(), y.data());
  }
  if (any_requires_grad({&x})) {
    attach_grad_fn(y, "cast", {x}, [from = x.dtype()](const Tensor& grad) {
      return std::vector<Tensor>{cast(grad, from)};
    });
  }
  return y;
}

}  // namespace ihd
