// Shapes of the windowed ops, shared by the CPU and CUDA kernels so that both twins take exactly
// the same arguments. All tensors are NHWC; convolution weights are OHWI.
#pragma once

#include <cstdint>

namespace ihd::kernels {

struct Conv2dGeometry {
  int batch = 1;
  int in_height = 1;
  int in_width = 1;
  int in_channels = 1;
  int out_channels = 1;
  int kernel_height = 1;
  int kernel_width = 1;
  int stride = 1;
  int padding = 0;

  int out_height() const { return (in_height + 2 * padding - kernel_height) / stride + 1; }
  int out_width() const { return (in_width + 2 * padding - kernel_width) / stride + 1; }
  // Length of one im2col row: the receptive field of one output pixel.
  int64_t patch_size() const {
    return static_cast<int64_t>(kernel_height) * kernel_width * in_channels;
  }
  bool is_pointwise() const {
    return kernel_height == 1 && kernel_width == 1 && stride == 1 && padding == 0;
  }
  // Element counts of x, y and w.
  int64_t input_elements() const {
    return static_cast<int64_t>(batch) * in_height * in_width * in_channels;
  }
  int64_t output_elements() const {
    return static_cast<int64_t>(batch) * out_height() * out_width() * out_channels;
  }
  int64_t weight_elements() const { return out_channels * patch_size(); }
};

struct Pool2dGeometry {
  int batch = 1;
  int in_height = 1;
  int in_width = 1;
  int channels = 1;
  int kernel = 3;
  int stride = 2;
  int padding = 1;

  int out_height() const { return (in_height + 2 * padding - kernel) / stride + 1; }
  int out_width() const { return (in_width + 2 * padding - kernel) / stride + 1; }
  // Element counts of x and y.
  int64_t input_elements() const {
    return static_cast<int64_t>(batch) * in_height * in_width * channels;
  }
  int64_t output_elements() const {
    return static_cast<int64_t>(batch) * out_height() * out_width() * channels;
  }
};

}  // namespace ihd::kernels
