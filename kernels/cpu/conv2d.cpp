// The float32 <Backend::cpu> specializations of kernels/conv2d.h (the bfloat16 ones are in
// mixed_precision.cpp): oneDNN where the build has it and it takes the geometry
// (kernels/cpu/conv2d_onednn.h), else the im2col + BLAS reference (kernels/cpu/conv2d_reference.h).
#include "kernels/conv2d.h"

#include "kernels/cpu/conv2d_reference.h"

#ifdef IHD_WITH_ONEDNN
#include "kernels/cpu/conv2d_onednn.h"
#endif

namespace ihd::kernels {

template <>
void conv2d_forward<Backend::cpu>(const Conv2dGeometry& g, const float* x, const float* w,
                                  const float* bias, float* y) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_forward(g, x, w, bias, y)) return;
#endif
  cpu::conv2d_forward_reference(g, x, w, bias, y);
}

template <>
void conv2d_backward_data<Backend::cpu>(const Conv2dGeometry& g, const float* dy, const float* w,
                                        float* dx) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_backward_data(g, dy, w, dx)) return;
#endif
  cpu::conv2d_backward_data_reference(g, dy, w, dx);
}

template <>
void conv2d_backward_weight<Backend::cpu>(const Conv2dGeometry& g, const float* x, const float* dy,
                                          float* dw, float* dbias) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_backward_weight(g, x, dy, dw, dbias)) return;
#endif
  cpu::conv2d_backward_weight_reference(g, x, dy, dw, dbias);
}

}  // namespace ihd::kernels
