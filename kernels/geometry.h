// Shapes of the windowed and sequence ops, shared by the CPU and CUDA kernels so that both backends
// take exactly the same arguments. Images are NHWC, convolution weights OHWI; sequences are
// [N, T, C] (batch, steps, channels), padded batches of series whose real lengths the sequence
// kernels take beside the geometry.
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

// A bidirectional GRU layer over x [batch, steps, input_size] -> y [batch, steps, 2 hidden_size].
struct GruGeometry {
  int batch = 1;
  int steps = 1;
  int input_size = 1;
  int hidden_size = 1;

  int64_t rows() const { return static_cast<int64_t>(batch) * steps; }  // (n, t) positions
  int64_t input_elements() const { return rows() * input_size; }
  int64_t output_elements() const { return rows() * 2 * hidden_size; }
  int64_t gate_rows() const { return 3 * static_cast<int64_t>(hidden_size); }  // r, z, n
  // What the forward pass saves for the backward pass, per direction (see kernels/gru.h).
  int64_t saved_elements_per_direction() const { return rows() * 5 * hidden_size; }
};

// A 1-D convolution along the steps of x [batch, steps, in_channels] with weight
// [out_channels, kernel, in_channels], odd kernel, dilation, 'same' zero padding.
struct TemporalConvGeometry {
  int batch = 1;
  int steps = 1;
  int in_channels = 1;
  int out_channels = 1;
  int kernel = 3;
  int dilation = 1;

  int64_t rows() const { return static_cast<int64_t>(batch) * steps; }  // (n, t) positions
  // Steps of zero padding on each side, (kernel - 1) dilation / 2: the output has `steps` steps.
  int padding() const { return (kernel - 1) * dilation / 2; }
  // Length of one im2col row: the receptive field of one output step.
  int64_t patch_size() const { return static_cast<int64_t>(kernel) * in_channels; }
  int64_t input_elements() const { return rows() * in_channels; }
  int64_t output_elements() const { return rows() * out_channels; }
  int64_t weight_elements() const { return out_channels * patch_size(); }
};

}  // namespace ihd::kernels
