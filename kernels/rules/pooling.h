// Max pooling's window walk, written once for both backends (host_device.h): the rows and columns
// of the input that window (oh, ow) covers, padding clipped off. Both backends scan a window in
// this row-major order, which decides which maximum is the first (and so takes the gradient).
#pragma once

#include "kernels/geometry.h"
#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// Input rows [ih_begin, ih_end) and columns [iw_begin, iw_end) of one window.
struct PoolWindow {
  int ih_begin, ih_end;
  int iw_begin, iw_end;
};

IHD_HOST_DEVICE inline PoolWindow pool_window(const Pool2dGeometry& g, int oh, int ow) {
  const int top = oh * g.stride - g.padding, left = ow * g.stride - g.padding;
  PoolWindow window;
  window.ih_begin = top > 0 ? top : 0;
  window.ih_end = top + g.kernel < g.in_height ? top + g.kernel : g.in_height;
  window.iw_begin = left > 0 ? left : 0;
  window.iw_end = left + g.kernel < g.in_width ? left + g.kernel : g.in_width;
  return window;
}

}  // namespace ihd::kernels::rules
