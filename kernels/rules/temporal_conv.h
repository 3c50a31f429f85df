// The temporal convolution's tap arithmetic, written once for both backends (host_device.h):
// which input step a tap reads (im2col) and, the other way, which output step's tap reads a given
// input step (col2im). A step outside [0, lengths[n]) is padding and reads as 0.
#pragma once

#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// The input step that tap `tap` of output step t reads: t + tap d - padding.
IHD_HOST_DEVICE inline int tap_input_step(int t, int tap, int dilation, int padding) {
  return t + tap * dilation - padding;
}

// The output step whose tap `tap` reads input step s: s - tap d + padding.
IHD_HOST_DEVICE inline int tap_output_step(int s, int tap, int dilation, int padding) {
  return s - tap * dilation + padding;
}

}  // namespace ihd::kernels::rules
