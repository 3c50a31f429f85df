// The <Backend::cpu> specializations of kernels/pooling.h, float32 and bfloat16 activations from
// one template each (activation_type.h: float32 arithmetic on the loaded values, each stored
// result rounded once, as the float32 kernel on the widened values): one thread per (image,
// output row); channels innermost and contiguous; a window is walked as on CUDA
// (kernels/rules/pooling.h). The max pool's backward adds each input's gradients in float32 (per
// image) and rounds the sum once.
#include "kernels/pooling.h"

#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/activation_type.h"
#include "kernels/rules/pooling.h"

namespace ihd::kernels {
namespace {

using cpu::load;
using cpu::stored_as;

template <typename T>
void max_pool_forward(const Pool2dGeometry& g, const T* x, T* y) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.channels;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int oh = 0; oh < out_h; ++oh) {
      std::vector<float> window_max(channels);
      const T* image = x + static_cast<int64_t>(n) * g.in_height * g.in_width * channels;
      for (int ow = 0; ow < out_w; ++ow) {
        T* out = y + ((static_cast<int64_t>(n) * out_h + oh) * out_w + ow) * channels;
        float* best = window_max.data();
        for (int c = 0; c < channels; ++c) best[c] = -std::numeric_limits<float>::infinity();
        const rules::PoolWindow window = rules::pool_window(g, oh, ow);
        for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
          for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
            const T* in = image + (static_cast<int64_t>(ih) * g.in_width + iw) * channels;
#pragma omp simd
            for (int c = 0; c < channels; ++c) {
              const float value = load(in[c]);
              best[c] = value > best[c] ? value : best[c];
            }
          }
        }
#pragma omp simd
        for (int c = 0; c < channels; ++c) out[c] = stored_as<T>(best[c]);
      }
    }
  }
}

template <typename T>
void max_pool_backward(const Pool2dGeometry& g, const T* x, const T* y, const T* dy, T* dx) {
  const int out_h = g.out_height(), out_w = g.out_width(), channels = g.channels;
  const int64_t image_size = static_cast<int64_t>(g.in_height) * g.in_width * channels;
#pragma omp parallel for
  for (int n = 0; n < g.batch; ++n) {
    const T* image = x + n * image_size;
    // float32 sums: dx itself for float32, a buffer rounded into dx at the end for bfloat16.
    std::vector<float> sums;
    float* grad_image;
    if constexpr (std::is_same_v<T, float>) {
      grad_image = dx + n * image_size;
    } else {
      sums.resize(static_cast<std::size_t>(image_size));
      grad_image = sums.data();
    }
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
              if (!routed[c] && load(image[in_offset + c]) == load(y[out_offset + c])) {
                grad_image[in_offset + c] += load(dy[out_offset + c]);
                routed[c] = 1;
              }
            }
          }
        }
      }
    }
    if constexpr (!std::is_same_v<T, float>) {
      T* out = dx + n * image_size;
#pragma omp simd
      for (int64_t i = 0; i < image_size; ++i) out[i] = stored_as<T>(sums[i]);
    }
  }
}

template <typename T>
void global_pool_forward(int batch, int64_t pixels, int channels, const T* x, float* y) {
#pragma omp parallel for
  for (int n = 0; n < batch; ++n) {
    std::vector<double> totals(channels, 0.0);
    const T* image = x + n * pixels * channels;
    for (int64_t p = 0; p < pixels; ++p) {
      for (int c = 0; c < channels; ++c) totals[c] += load(image[p * channels + c]);
    }
    for (int c = 0; c < channels; ++c) {
      y[static_cast<int64_t>(n) * channels + c] = static_cast<float>(totals[c] / pixels);
    }
  }
}

template <typename T>
void global_pool_backward(int batch, int64_t pixels, int channels, const float* dy, T* dx) {
  const float inverse_pixels = 1.0f / static_cast<float>(pixels);
#pragma omp parallel for
  for (int n = 0; n < batch; ++n) {
    const float* grad = dy + static_cast<int64_t>(n) * channels;
    T* image = dx + n * pixels * channels;
    for (int64_t p = 0; p < pixels; ++p) {
#pragma omp simd
      for (int c = 0; c < channels; ++c) {
        image[p * channels + c] = stored_as<T>(grad[c] * inverse_pixels);
      }
    }
  }
}

}  // namespace

template <>
void max_pool2d_forward<Backend::cpu>(const Pool2dGeometry& g, const float* x, float* y) {
  max_pool_forward(g, x, y);
}
template <>
void max_pool2d_forward<Backend::cpu>(const Pool2dGeometry& g, const bfloat16* x, bfloat16* y) {
  max_pool_forward(g, x, y);
}

template <>
void max_pool2d_backward<Backend::cpu>(const Pool2dGeometry& g, const float* x, const float* y,
                                       const float* dy, float* dx) {
  max_pool_backward(g, x, y, dy, dx);
}
template <>
void max_pool2d_backward<Backend::cpu>(const Pool2dGeometry& g, const bfloat16* x,
                                       const bfloat16* y, const bfloat16* dy, bfloat16* dx) {
  max_pool_backward(g, x, y, dy, dx);
}

template <>
void global_avg_pool_forward<Backend::cpu>(int batch, int64_t pixels, int channels, const float* x,
                                           float* y) {
  global_pool_forward(batch, pixels, channels, x, y);
}
template <>
void global_avg_pool_forward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                           const bfloat16* x, float* y) {
  global_pool_forward(batch, pixels, channels, x, y);
}

template <>
void global_avg_pool_backward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                            const float* dy, float* dx) {
  global_pool_backward(batch, pixels, channels, dy, dx);
}
template <>
void global_avg_pool_backward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                            const float* dy, bfloat16* dx) {
  global_pool_backward(batch, pixels, channels, dy, dx);
}

}  // namespace ihd::kernels
