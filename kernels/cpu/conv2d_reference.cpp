// The reference CPU convolution: im2col + GEMM. With NHWC input every patch row is a run of
// contiguous channel vectors, so im2col is a sequence of memcpy calls and col2im a sequence of
// vector adds. Images are processed in chunks so that the patch matrix stays within
// kColumnBudgetFloats.
//   forward:         y[P,O]  = col[P,K] * w[O,K]^T
//   backward data:   dcol[P,K] = dy[P,O] * w[O,K], then col2im
//   backward weight: dw[O,K] = dy[P,O]^T * col[P,K]
// where P = output pixels of the chunk and K = KH*KW*C. Slower than oneDNN, but short enough to
// read at a glance, so tests check the fast path against it.
#include "kernels/cpu/conv2d_reference.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm.h"

namespace ihd::kernels::cpu {
namespace {

constexpr int64_t kColumnBudgetFloats = int64_t{16} << 20;  // 64 MiB of patch rows

int images_per_chunk(const Conv2dGeometry& g) {
  const int64_t floats_per_image =
      static_cast<int64_t>(g.out_height()) * g.out_width() * g.patch_size();
  return static_cast<int>(std::clamp<int64_t>(
      kColumnBudgetFloats / std::max<int64_t>(floats_per_image, 1), 1, g.batch));
}

// The patch matrix, reused across calls on this thread.
float* column_workspace(int64_t floats) {
  thread_local std::vector<float> workspace;
  if (static_cast<int64_t>(workspace.size()) < floats) workspace.resize(floats);
  return workspace.data();
}

// col[(n,oh,ow), (kh,kw,c)] for `images` images starting at x.
void im2col(const Conv2dGeometry& g, int images, const float* x, float* col) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.in_channels;
  const int64_t row_size = g.patch_size();
  const std::size_t channel_bytes = sizeof(float) * channels;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < images; ++n) {
    for (int oh = 0; oh < out_h; ++oh) {
      const float* image = x + static_cast<int64_t>(n) * g.in_height * g.in_width * channels;
      for (int ow = 0; ow < out_w; ++ow) {
        float* row = col + ((static_cast<int64_t>(n) * out_h + oh) * out_w + ow) * row_size;
        for (int kh = 0; kh < g.kernel_height; ++kh) {
          const int ih = oh * g.stride - g.padding + kh;
          for (int kw = 0; kw < g.kernel_width; ++kw) {
            const int iw = ow * g.stride - g.padding + kw;
            float* target = row + (static_cast<int64_t>(kh) * g.kernel_width + kw) * channels;
            if (ih < 0 || ih >= g.in_height || iw < 0 || iw >= g.in_width) {
              std::memset(target, 0, channel_bytes);
            } else {
              std::memcpy(target, image + (static_cast<int64_t>(ih) * g.in_width + iw) * channels,
                          channel_bytes);
            }
          }
        }
      }
    }
  }
}

// dx += scatter of dcol, the adjoint of im2col. Images are independent, so they run in parallel.
void col2im(const Conv2dGeometry& g, int images, const float* col, float* dx) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.in_channels;
  const int64_t row_size = g.patch_size();
  const int64_t image_size = static_cast<int64_t>(g.in_height) * g.in_width * channels;
#pragma omp parallel for
  for (int n = 0; n < images; ++n) {
    float* image = dx + n * image_size;
    std::memset(image, 0, sizeof(float) * image_size);
    for (int oh = 0; oh < out_h; ++oh) {
      for (int ow = 0; ow < out_w; ++ow) {
        const float* row = col + ((static_cast<int64_t>(n) * out_h + oh) * out_w + ow) * row_size;
        for (int kh = 0; kh < g.kernel_height; ++kh) {
          const int ih = oh * g.stride - g.padding + kh;
          if (ih < 0 || ih >= g.in_height) continue;
          for (int kw = 0; kw < g.kernel_width; ++kw) {
            const int iw = ow * g.stride - g.padding + kw;
            if (iw < 0 || iw >= g.in_width) continue;
            const float* source = row + (static_cast<int64_t>(kh) * g.kernel_width + kw) * channels;
            float* target = image + (static_cast<int64_t>(ih) * g.in_width + iw) * channels;
#pragma omp simd
            for (int c = 0; c < channels; ++c) target[c] += source[c];
          }
        }
      }
    }
  }
}

int64_t in_floats_per_image(const Conv2dGeometry& g) {
  return static_cast<int64_t>(g.in_height) * g.in_width * g.in_channels;
}
int64_t out_pixels_per_image(const Conv2dGeometry& g) {
  return static_cast<int64_t>(g.out_height()) * g.out_width();
}

}  // namespace

void conv2d_forward_reference(const Conv2dGeometry& g, const float* x, const float* w,
                              const float* bias, float* y) {
  const int chunk = images_per_chunk(g);
  const int64_t patch = g.patch_size();
  for (int first = 0; first < g.batch; first += chunk) {
    const int images = std::min(chunk, g.batch - first);
    const int64_t pixels = images * out_pixels_per_image(g);
    const float* x_chunk = x + first * in_floats_per_image(g);
    float* y_chunk = y + first * out_pixels_per_image(g) * g.out_channels;
    const float* col = x_chunk;
    if (!g.is_pointwise()) {
      float* workspace = column_workspace(pixels * patch);
      im2col(g, images, x_chunk, workspace);
      col = workspace;
    }
    gemm<Backend::cpu>(false, true, pixels, g.out_channels, patch, 1.0f, col, w, 0.0f, y_chunk);
    if (bias) {
#pragma omp parallel for
      for (int64_t p = 0; p < pixels; ++p) {
        for (int o = 0; o < g.out_channels; ++o) y_chunk[p * g.out_channels + o] += bias[o];
      }
    }
  }
}

void conv2d_backward_data_reference(const Conv2dGeometry& g, const float* dy, const float* w,
                                    float* dx) {
  const int chunk = images_per_chunk(g);
  const int64_t patch = g.patch_size();
  for (int first = 0; first < g.batch; first += chunk) {
    const int images = std::min(chunk, g.batch - first);
    const int64_t pixels = images * out_pixels_per_image(g);
    const float* dy_chunk = dy + first * out_pixels_per_image(g) * g.out_channels;
    float* dx_chunk = dx + first * in_floats_per_image(g);
    if (g.is_pointwise()) {
      gemm<Backend::cpu>(false, false, pixels, patch, g.out_channels, 1.0f, dy_chunk, w, 0.0f,
                         dx_chunk);
      continue;
    }
    float* dcol = column_workspace(pixels * patch);
    gemm<Backend::cpu>(false, false, pixels, patch, g.out_channels, 1.0f, dy_chunk, w, 0.0f, dcol);
    col2im(g, images, dcol, dx_chunk);
  }
}

void conv2d_backward_weight_reference(const Conv2dGeometry& g, const float* x, const float* dy,
                                      float* dw, float* dbias) {
  const int chunk = images_per_chunk(g);
  const int64_t patch = g.patch_size();
  for (int first = 0; first < g.batch; first += chunk) {
    const int images = std::min(chunk, g.batch - first);
    const int64_t pixels = images * out_pixels_per_image(g);
    const float* x_chunk = x + first * in_floats_per_image(g);
    const float* dy_chunk = dy + first * out_pixels_per_image(g) * g.out_channels;
    const float* col = x_chunk;
    if (!g.is_pointwise()) {
      float* workspace = column_workspace(pixels * patch);
      im2col(g, images, x_chunk, workspace);
      col = workspace;
    }
    gemm<Backend::cpu>(true, false, g.out_channels, patch, pixels, 1.0f, dy_chunk, col,
                       first == 0 ? 0.0f : 1.0f, dw);
  }
  if (dbias) {
    const int64_t pixels = static_cast<int64_t>(g.batch) * out_pixels_per_image(g);
    std::vector<double> totals(g.out_channels, 0.0);
    for (int64_t p = 0; p < pixels; ++p) {
      for (int o = 0; o < g.out_channels; ++o) totals[o] += dy[p * g.out_channels + o];
    }
    for (int o = 0; o < g.out_channels; ++o) dbias[o] = static_cast<float>(totals[o]);
  }
}

}  // namespace ihd::kernels::cpu
