// The <Backend::cpu> specializations of kernels/pooling.h, float32 and bfloat16 activations from
// one template each (activation_type.h: float32 arithmetic on the loaded values, each stored
// result rounded once, as the float32 kernel on the widened values): one thread per (image,
// output row); channels innermost and contiguous; a window is walked as on CUDA
// (kernels/rules/pooling.h). The max pool's backward adds each input's gradients in float32 and
// rounds the sum once (bfloat16: one image at a time, widened into per-thread buffers).
#include "kernels/pooling.h"

#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/activation_type.h"
#include "kernels/elementwise.h"
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

// Adds each window's output gradient to the window's first maximum, window by window in order (the
// order the CUDA gather adds them in), into one image's float32 sums: `image` is the image's
// input, `window_max` and `window_grad` its outputs and their gradients.
void route_gradients(const Pool2dGeometry& g, const float* image, const float* window_max,
                     const float* window_grad, char* routed, float* grad_image) {
  const int out_w = g.out_width(), channels = g.channels;
  for (int oh = 0; oh < g.out_height(); ++oh) {
    for (int ow = 0; ow < out_w; ++ow) {
      const int64_t out_offset = (static_cast<int64_t>(oh) * out_w + ow) * channels;
      const float* best = window_max + out_offset;
      const float* best_grad = window_grad + out_offset;
      std::fill(routed, routed + channels, 0);
      const rules::PoolWindow window = rules::pool_window(g, oh, ow);
      for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
        for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
          const int64_t in_offset = (static_cast<int64_t>(ih) * g.in_width + iw) * channels;
          const float* in = image + in_offset;
          float* grad = grad_image + in_offset;
          // Branch-free over the channels: adding +0 where the input is not the window's first
          // maximum leaves each sum's bits as they are (the sums start at +0).
#pragma omp simd
          for (int c = 0; c < channels; ++c) {
            const bool first_max = !routed[c] && in[c] == best[c];
            grad[c] += first_max ? best_grad[c] : 0.0f;
            routed[c] = static_cast<char>(routed[c] | first_max);
          }
        }
      }
    }
  }
}

// n values of T as float32: the values themselves, or their copy in `out` for bfloat16 (the
// conversion kernel; inside a thread's image it runs on that thread).
template <typename T>
const float* as_float32(const T* values, int64_t n, std::vector<float>& out) {
  if constexpr (std::is_same_v<T, float>) {
    return values;
  } else {
    out.resize(static_cast<std::size_t>(n));
    convert<Backend::cpu>(n, values, out.data());
    return out.data();
  }
}

template <typename T>
void max_pool_backward(const Pool2dGeometry& g, const T* x, const T* y, const T* dy, T* dx) {
  const int64_t image_size = static_cast<int64_t>(g.in_height) * g.in_width * g.channels;
  const int64_t out_image_size = static_cast<int64_t>(g.out_height()) * g.out_width() * g.channels;
#pragma omp parallel
  {
    // float32 sums: dx itself for float32; for bfloat16 one image at a time in per-thread buffers
    // (the image's input, outputs and gradients widened, the sums rounded into dx at the end).
    std::vector<float> image32, max32, grad32, sums;
    std::vector<char> routed(g.channels);
#pragma omp for
    for (int n = 0; n < g.batch; ++n) {
      const float* image = as_float32(x + n * image_size, image_size, image32);
      const float* window_max = as_float32(y + n * out_image_size, out_image_size, max32);
      const float* window_grad = as_float32(dy + n * out_image_size, out_image_size, grad32);
      float* grad_image;
      if constexpr (std::is_same_v<T, float>) {
        grad_image = dx + n * image_size;
      } else {
        sums.resize(static_cast<std::size_t>(image_size));
        grad_image = sums.data();
      }
      std::memset(grad_image, 0, sizeof(float) * image_size);
      route_gradients(g, image, window_max, window_grad, routed.data(), grad_image);
      if constexpr (!std::is_same_v<T, float>) {
        convert<Backend::cpu>(image_size, sums.data(), dx + n * image_size);
      }
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
