// The CPU convolution entry points: oneDNN where the build has it and it takes the geometry
// (kernels/cpu/conv2d_onednn.h), else the im2col + BLAS reference (kernels/cpu/conv2d_reference.h).
#include "kernels/cpu/conv2d.h"

#include "kernels/cpu/conv2d_reference.h"

#ifdef IHD_WITH_ONEDNN
#include "kernels/cpu/conv2d_onednn.h"
#endif

namespace ihd::kernels::cpu {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y) {
#ifdef IHD_WITH_ONEDNN
  if (onednn_conv2d_forward(g, x, w, bias, y)) return;
#endif
  conv2d_forward_reference(g, x, w, bias, y);
}

void conv2d_backward_data(const Conv2dGeometry& g, const float* dy, const float* w, float* dx) {
#ifdef IHD_WITH_ONEDNN
  if (onednn_conv2d_backward_data(g, dy, w, dx)) return;
#endif
  conv2d_backward_data_reference(g, dy, w, dx);
}

void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* dy, float* dw,
                            float* dbias) {
#ifdef IHD_WITH_ONEDNN
  if (onednn_conv2d_backward_weight(g, x, dy, dw, dbias)) return;
#endif
  conv2d_backward_weight_reference(g, x, dy, dw, dbias);
}

}  // namespace ihd::kernels::cpu
