// square_kernel_geometry: a Conv2dGeometry from its nine numbers in one call, for the tables of
// shapes the convolution tests (fast paths in float32 and bfloat16, fused inference) run over.
#pragma once

#include "kernels/geometry.h"

namespace ihd::kernels::cpu {

inline Conv2dGeometry square_kernel_geometry(int batch, int height, int width, int in_channels,
                                             int out_channels, int kernel, int stride,
                                             int padding) {
  Conv2dGeometry g;
  g.batch = batch;
  g.in_height = height;
  g.in_width = width;
  g.in_channels = in_channels;
  g.out_channels = out_channels;
  g.kernel_height = g.kernel_width = kernel;
  g.stride = stride;
  g.padding = padding;
  return g;
}

}  // namespace ihd::kernels::cpu
