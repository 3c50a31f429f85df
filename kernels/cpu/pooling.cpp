// The float32 <Backend::cpu> specializations of kernels/pooling.h (the bfloat16 ones are in
// mixed_precision.cpp): one thread per (image, output row); channels innermost and contiguous; a
// window is walked as on CUDA (kernels/rules/pooling.h).
#include "kernels/pooling.h"

#include <cstring>
#include <limits>
#include <vector>

#include "kernels/rules/pooling.h"

namespace ihd::kernels {

template <>
void max_pool2d_forward<Backend::cpu>(const Pool2dGeometry& g, const float* x, float* y) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.channels;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int oh = 0; oh < out_h; ++oh) {
      const float* image = x + static_cast<int64_t>(n) * g.in_height * g.in_width * channels;
      for (int ow = 0; ow < out_w; ++ow) {
        float* out = y + ((static_cast<int64_t>(n) * out_h + oh) * out_w + ow) * channels;
        for (int c = 0; c < channels; ++c) out[c] = -std::numeric_limits<float>::infinity();
        const rules::PoolWindow window = rules::pool_window(g, oh, ow);
        for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
          for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
            const float* in = image + (static_cast<int64_t>(ih) * g.in_width + iw) * channels;
#pragma omp simd
            for (int c = 0; c < channels; ++c) out[c] = in[c] > out[c] ? in[c] : out[c];
          }
        }
      }
    }
  }
}

template <>
void max_pool2d_backward<Backend::cpu>(const Pool2dGeometry& g, const float* x, const float* y,
                                       const float* dy, float* dx) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.channels;
  const int64_t image_size = static_cast<int64_t>(g.in_height) * g.in_width * channels;
#pragma omp parallel for
  for (int n = 0; n < g.batch; ++n) {
    const float* image = x + n * image_size;
    float* grad_image = dx + n * image_size;
    std::memset(grad_image, 0, sizeof(float) * image_size);
    std::vector<char> routed(channels);
    for (int oh = 0; oh < out_h; ++oh) {
      for (int ow = 0; ow < out_w; ++ow) {
        const int64_t out_offset = ((static_cast<int64_t>(n) * out_h + oh) * out_w + ow) * channels;
        std::fill(routed.begin(), routed.end(), 0);
        const rules::PoolWindow window = rules::pool_window(g, oh, ow);
        for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
          for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
            const int64_t in_offset = (static_cast<int64_t>(ih) * g.in_width + iw) * channels;
            for (int c = 0; c < channels; ++c) {
              if (!routed[c] && image[in_offset + c] == y[out_offset + c]) {
                grad_image[in_offset + c] += dy[out_offset + c];
                routed[c] = 1;
              }
            }
          }
        }
      }
    }
  }
}

template <>
void global_avg_pool_forward<Backend::cpu>(int batch, int64_t pixels, int channels, const float* x,
                                           float* y) {
#pragma omp parallel for
  for (int n = 0; n < batch; ++n) {
    std::vector<double> totals(channels, 0.0);
    const float* image = x + n * pixels * channels;
    for (int64_t p = 0; p < pixels; ++p) {
      for (int c = 0; c < channels; ++c) totals[c] += image[p * channels + c];
    }
    for (int c = 0; c < channels; ++c) {
      y[static_cast<int64_t>(n) * channels + c] = static_cast<float>(totals[c] / pixels);
    }
  }
}

template <>
void global_avg_pool_backward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                            const float* dy, float* dx) {
  const float inverse_pixels = 1.0f / static_cast<float>(pixels);
#pragma omp parallel for
  for (int n = 0; n < batch; ++n) {
    const float* grad = dy + static_cast<int64_t>(n) * channels;
    float* image = dx + n * pixels * channels;
    for (int64_t p = 0; p < pixels; ++p) {
#pragma omp simd
      for (int c = 0; c < channels; ++c) image[p * channels + c] = grad[c] * inverse_pixels;
    }
  }
}

}  // namespace ihd::kernels
