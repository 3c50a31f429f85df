// The <Backend::cpu> specializations of kernels/temporal_conv.h: the convolution as im2col + BLAS
// GEMM, like the 2-D reference
// (conv2d_reference.cpp), with the sequence lengths folded into im2col: a tap that falls on a
// padded or out-of-range step copies zeros instead of reading x.
//   forward:         y[P,O] = patches[P,K] * w[O,K]^T, then the bias, or 0 at padded positions
//   backward weight: dw[O,K] = dy'[P,O]^T * patches[P,K], dbias = column sums of dy'
//   backward data:   dpatches[P,K] = dy'[P,O] * w[O,K], then col2im
// where P = N*T positions, K = k*C, and dy' is dy with the rows of padded positions zeroed. col2im
// gathers: each real input step adds the taps that read it, in tap order, so there are no races
// and CUDA adds in the same order (the tap arithmetic of both: kernels/rules/temporal_conv.h).
#include "kernels/temporal_conv.h"

#include <cstring>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/rules/temporal_conv.h"

namespace ihd::kernels {
namespace {

// patches[(n, t), (j, c)] = x[n, t + j d - padding, c] where that step is real, else 0.
void im2col(const TemporalConvGeometry& g, const int* lengths, const float* x, float* patches) {
  const int channels = g.in_channels;
  const std::size_t channel_bytes = sizeof(float) * channels;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int t = 0; t < g.steps; ++t) {
      float* row = patches + (static_cast<int64_t>(n) * g.steps + t) * g.patch_size();
      for (int j = 0; j < g.kernel; ++j) {
        const int source = rules::tap_input_step(t, j, g.dilation, g.padding());
        float* target = row + static_cast<int64_t>(j) * channels;
        if (source < 0 || source >= lengths[n]) {
          std::memset(target, 0, channel_bytes);
        } else {
          std::memcpy(target, x + (static_cast<int64_t>(n) * g.steps + source) * channels,
                      channel_bytes);
        }
      }
    }
  }
}

// dx[n, s, c] = sum over taps j of dpatches[(n, s - j d + padding), (j, c)], over real steps.
void col2im(const TemporalConvGeometry& g, const int* lengths, const float* dpatches, float* dx) {
  const int channels = g.in_channels;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int s = 0; s < g.steps; ++s) {
      float* out = dx + (static_cast<int64_t>(n) * g.steps + s) * channels;
      std::memset(out, 0, sizeof(float) * channels);
      if (s >= lengths[n]) continue;
      for (int j = 0; j < g.kernel; ++j) {
        const int t = rules::tap_output_step(s, j, g.dilation, g.padding());
        if (t < 0 || t >= lengths[n]) continue;
        const float* in = dpatches + (static_cast<int64_t>(n) * g.steps + t) * g.patch_size() +
                          static_cast<int64_t>(j) * channels;
        for (int c = 0; c < channels; ++c) out[c] += in[c];
      }
    }
  }
}

}  // namespace

template <>
void temporal_conv1d_forward<Backend::cpu>(const TemporalConvGeometry& g, const int* lengths,
                                           const float* x, const float* weight, const float* bias,
                                           float* y) {
  std::vector<float> patches(static_cast<std::size_t>(g.rows() * g.patch_size()));
  im2col(g, lengths, x, patches.data());
  gemm<Backend::cpu>(false, true, g.rows(), g.out_channels, g.patch_size(), 1.0f, patches.data(),
                     weight, 0.0f, y);
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int t = 0; t < g.steps; ++t) {
      float* out = y + (static_cast<int64_t>(n) * g.steps + t) * g.out_channels;
      if (t >= lengths[n]) {
        std::memset(out, 0, sizeof(float) * g.out_channels);
      } else if (bias) {
        for (int o = 0; o < g.out_channels; ++o) out[o] += bias[o];
      }
    }
  }
}

template <>
void temporal_conv1d_backward<Backend::cpu>(const TemporalConvGeometry& g, const int* lengths,
                                            const float* x, const float* weight, const float* dy,
                                            float* dx, float* dweight, float* dbias) {
  std::vector<float> masked_dy(static_cast<std::size_t>(g.output_elements()));
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.batch; ++n) {
    for (int t = 0; t < g.steps; ++t) {
      const int64_t offset = (static_cast<int64_t>(n) * g.steps + t) * g.out_channels;
      if (t >= lengths[n]) {
        std::memset(masked_dy.data() + offset, 0, sizeof(float) * g.out_channels);
      } else {
        std::memcpy(masked_dy.data() + offset, dy + offset, sizeof(float) * g.out_channels);
      }
    }
  }
  std::vector<float> patches(static_cast<std::size_t>(g.rows() * g.patch_size()));
  im2col(g, lengths, x, patches.data());
  gemm<Backend::cpu>(true, false, g.out_channels, g.patch_size(), g.rows(), 1.0f, masked_dy.data(),
                     patches.data(), 0.0f, dweight);
  if (dbias) column_sum<Backend::cpu>(g.rows(), g.out_channels, masked_dy.data(), dbias);
  if (!dx) return;
  float* dpatches = patches.data();
  gemm<Backend::cpu>(false, false, g.rows(), g.patch_size(), g.out_channels, 1.0f, masked_dy.data(),
                     weight, 0.0f, dpatches);
  col2im(g, lengths, dpatches, dx);
}

}  // namespace ihd::kernels
