// The <Backend::cuda> specializations of kernels/pooling.h: pooling on the GPU, NHWC, one thread
// per element with the channel fastest (coalesced). A window is walked as on the CPU
// (kernels/rules/pooling.h).
// Max pool backward gathers instead of scattering: each input element walks the (at most
// ceil(k/s)^2) windows that contain it, and takes a window's gradient when it is that window's
// first maximum in row-major order. No atomics: the result is deterministic, and the additions
// happen in the CPU's order (windows by row, then column), so the two agree bit for bit.
// Each kernel is a template on the activation type, float or __nv_bfloat16 (bfloat16.cuh):
// values are compared and added in float32 and a bfloat16 result is rounded once, so bfloat16
// max pooling (forward and backward) is exact and the average pool's features are float32.
#include <cuda/std/limits>

#include "kernels/cuda/bfloat16.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/pooling.h"
#include "kernels/rules/pooling.h"

namespace ihd::kernels::cuda {
namespace {

// Row-major position (ih * in_width + iw) of the first element of window (oh, ow), channel c,
// that equals the window's maximum `maximum`; -1 if none does (a NaN maximum).
template <typename T>
__device__ int64_t first_maximum_position(const Pool2dGeometry& g, const T* image, int oh, int ow,
                                          int c, float maximum) {
  const rules::PoolWindow window = rules::pool_window(g, oh, ow);
  for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
    for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
      const int64_t position = static_cast<int64_t>(ih) * g.in_width + iw;
      if (as_float(image[position * g.channels + c]) == maximum) return position;
    }
  }
  return -1;
}

template <typename T>
void max_pool_forward(const Pool2dGeometry& g, const T* x, T* y) {
  const int out_h = g.out_height(), out_w = g.out_width();
  const int64_t outputs = static_cast<int64_t>(g.batch) * out_h * out_w * g.channels;
  for_each_index(outputs, [=] __device__(int64_t i) {
    const int c = static_cast<int>(i % g.channels);
    const int64_t pixel = i / g.channels;
    const int ow = static_cast<int>(pixel % out_w);
    const int oh = static_cast<int>((pixel / out_w) % out_h);
    const int64_t n = pixel / (static_cast<int64_t>(out_w) * out_h);
    const T* image = x + n * g.in_height * g.in_width * g.channels;
    float maximum = -::cuda::std::numeric_limits<float>::infinity();
    const rules::PoolWindow window = rules::pool_window(g, oh, ow);
    for (int ih = window.ih_begin; ih < window.ih_end; ++ih) {
      for (int iw = window.iw_begin; iw < window.iw_end; ++iw) {
        const float value =
            as_float(image[(static_cast<int64_t>(ih) * g.in_width + iw) * g.channels + c]);
        maximum = value > maximum ? value : maximum;
      }
    }
    y[i] = from_float<T>(maximum);
  });
}

template <typename T>
void max_pool_backward(const Pool2dGeometry& g, const T* x, const T* y, const T* dy, T* dx) {
  const int out_h = g.out_height(), out_w = g.out_width();
  const int64_t inputs = static_cast<int64_t>(g.batch) * g.in_height * g.in_width * g.channels;
  for_each_index(inputs, [=] __device__(int64_t i) {
    const int c = static_cast<int>(i % g.channels);
    const int64_t pixel = i / g.channels;
    const int iw = static_cast<int>(pixel % g.in_width);
    const int ih = static_cast<int>((pixel / g.in_width) % g.in_height);
    const int64_t n = pixel / (static_cast<int64_t>(g.in_width) * g.in_height);
    const int64_t position = static_cast<int64_t>(ih) * g.in_width + iw;
    const T* image = x + n * g.in_height * g.in_width * g.channels;
    // Windows containing (ih, iw): oh * stride - padding <= ih <= oh * stride - padding + k - 1.
    const int oh_first = max(0, (ih + g.padding - g.kernel + g.stride) / g.stride);
    const int oh_last = min(out_h - 1, (ih + g.padding) / g.stride);
    const int ow_first = max(0, (iw + g.padding - g.kernel + g.stride) / g.stride);
    const int ow_last = min(out_w - 1, (iw + g.padding) / g.stride);
    float gradient = 0.0f;
    for (int oh = oh_first; oh <= oh_last; ++oh) {
      for (int ow = ow_first; ow <= ow_last; ++ow) {
        const int64_t out = ((n * out_h + oh) * out_w + ow) * g.channels + c;
        if (first_maximum_position(g, image, oh, ow, c, as_float(y[out])) == position) {
          gradient += as_float(dy[out]);
        }
      }
    }
    dx[i] = from_float<T>(gradient);
  });
}

template <typename T>
void average_pool_forward(int batch, int64_t pixels, int channels, const T* x, float* y) {
  for_each_index(static_cast<int64_t>(batch) * channels, [=] __device__(int64_t i) {
    const int64_t n = i / channels, c = i % channels;
    const T* image = x + n * pixels * channels;
    double total = 0.0;
    for (int64_t p = 0; p < pixels; ++p) total += as_float(image[p * channels + c]);
    y[i] = static_cast<float>(total / pixels);
  });
}

template <typename T>
void average_pool_backward(int batch, int64_t pixels, int channels, const float* dy, T* dx) {
  const float inverse_pixels = 1.0f / static_cast<float>(pixels);
  for_each_index(static_cast<int64_t>(batch) * pixels * channels, [=] __device__(int64_t i) {
    const int64_t c = i % channels, n = i / (pixels * channels);
    dx[i] = from_float<T>(dy[n * channels + c] * inverse_pixels);
  });
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void max_pool2d_forward<Backend::cuda>(const Pool2dGeometry& g, const float* x, float* y) {
  cuda::max_pool_forward(g, x, y);
}

template <>
void max_pool2d_backward<Backend::cuda>(const Pool2dGeometry& g, const float* x, const float* y,
                                        const float* dy, float* dx) {
  cuda::max_pool_backward(g, x, y, dy, dx);
}

template <>
void global_avg_pool_forward<Backend::cuda>(int batch, int64_t pixels, int channels, const float* x,
                                            float* y) {
  cuda::average_pool_forward(batch, pixels, channels, x, y);
}

template <>
void global_avg_pool_backward<Backend::cuda>(int batch, int64_t pixels, int channels,
                                             const float* dy, float* dx) {
  cuda::average_pool_backward(batch, pixels, channels, dy, dx);
}

template <>
void max_pool2d_forward<Backend::cuda>(const Pool2dGeometry& g, const bfloat16* x, bfloat16* y) {
  cuda::max_pool_forward(g, cuda::device_type(x), cuda::device_type(y));
}

template <>
void max_pool2d_backward<Backend::cuda>(const Pool2dGeometry& g, const bfloat16* x,
                                        const bfloat16* y, const bfloat16* dy, bfloat16* dx) {
  cuda::max_pool_backward(g, cuda::device_type(x), cuda::device_type(y), cuda::device_type(dy),
                          cuda::device_type(dx));
}

template <>
void global_avg_pool_forward<Backend::cuda>(int batch, int64_t pixels, int channels,
                                            const bfloat16* x, float* y) {
  cuda::average_pool_forward(batch, pixels, channels, cuda::device_type(x), y);
}

template <>
void global_avg_pool_backward<Backend::cuda>(int batch, int64_t pixels, int channels,
                                             const float* dy, bfloat16* dx) {
  cuda::average_pool_backward(batch, pixels, channels, dy, cuda::device_type(dx));
}

}  // namespace ihd::kernels
