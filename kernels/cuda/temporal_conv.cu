// The <Backend::cuda> specializations of kernels/temporal_conv.h: the temporal convolution on the
// GPU, the CPU's im2col + GEMM (kernels/cpu/temporal_conv.cpp, the same tap arithmetic from
// kernels/rules/temporal_conv.h) with cuBLAS for the products and a grid-stride kernel (launch.cuh)
// for each of im2col, the bias and mask, dy's mask and col2im. col2im gathers, each input element
// adding its taps in the CPU's order: no atomics, deterministic.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sequence_scratch.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/rules/temporal_conv.h"
#include "kernels/temporal_conv.h"

namespace ihd::kernels::cuda {
namespace {

// patches[(n, t), (j, c)] = x[n, t + j d - padding, c] where that step is real, else 0.
void im2col(const TemporalConvGeometry& g, const int* lengths, const float* x, float* patches) {
  const int64_t patch_size = g.patch_size();
  const int padding = g.padding();
  for_each_index(g.rows() * patch_size, [=] __device__(int64_t i) {
    const int64_t row = i / patch_size;
    const int tap = static_cast<int>((i % patch_size) / g.in_channels);
    const int c = static_cast<int>(i % g.in_channels);
    const int n = static_cast<int>(row / g.steps), t = static_cast<int>(row % g.steps);
    const int source = rules::tap_input_step(t, tap, g.dilation, padding);
    patches[i] = source < 0 || source >= lengths[n]
                     ? 0.0f
                     : x[(static_cast<int64_t>(n) * g.steps + source) * g.in_channels + c];
  });
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void temporal_conv1d_forward<Backend::cuda>(const TemporalConvGeometry& g, const int* lengths,
                                            const float* x, const float* weight, const float* bias,
                                            float* y) {
  const cuda::SequenceScratch scratch =
      cuda::sequence_scratch(g.batch, lengths, g.rows() * g.patch_size());
  const int* device_lengths = scratch.lengths;
  float* patches = scratch.floats;
  cuda::im2col(g, device_lengths, x, patches);
  gemm<Backend::cuda>(false, true, g.rows(), g.out_channels, g.patch_size(), 1.0f, patches, weight,
                      0.0f, y);
  cuda::for_each_index(g.output_elements(), [=] __device__(int64_t i) {
    const int64_t row = i / g.out_channels;
    const int n = static_cast<int>(row / g.steps), t = static_cast<int>(row % g.steps);
    if (t >= device_lengths[n]) {
      y[i] = 0.0f;
    } else if (bias) {
      y[i] += bias[i % g.out_channels];
    }
  });
}

template <>
void temporal_conv1d_backward<Backend::cuda>(const TemporalConvGeometry& g, const int* lengths,
                                             const float* x, const float* weight, const float* dy,
                                             float* dx, float* dweight, float* dbias) {
  const cuda::SequenceScratch scratch =
      cuda::sequence_scratch(g.batch, lengths, g.output_elements() + g.rows() * g.patch_size());
  const int* device_lengths = scratch.lengths;
  float* masked_dy = scratch.floats;
  float* patches = masked_dy + g.output_elements();
  cuda::for_each_index(g.output_elements(), [=] __device__(int64_t i) {
    const int64_t row = i / g.out_channels;
    const int n = static_cast<int>(row / g.steps), t = static_cast<int>(row % g.steps);
    masked_dy[i] = t >= device_lengths[n] ? 0.0f : dy[i];
  });
  cuda::im2col(g, device_lengths, x, patches);
  gemm<Backend::cuda>(true, false, g.out_channels, g.patch_size(), g.rows(), 1.0f, masked_dy,
                      patches, 0.0f, dweight);
  if (dbias) column_sum<Backend::cuda>(g.rows(), g.out_channels, masked_dy, dbias);
  if (!dx) return;
  float* dpatches = patches;
  gemm<Backend::cuda>(false, false, g.rows(), g.patch_size(), g.out_channels, 1.0f, masked_dy,
                      weight, 0.0f, dpatches);
  // dx[n, s, c] = sum over taps j of dpatches[(n, s - j d + padding), (j, c)], over real steps.
  const int64_t patch_size = g.patch_size();
  const int padding = g.padding();
  cuda::for_each_index(g.input_elements(), [=] __device__(int64_t i) {
    const int64_t row = i / g.in_channels;
    const int c = static_cast<int>(i % g.in_channels);
    const int n = static_cast<int>(row / g.steps), s = static_cast<int>(row % g.steps);
    const int length = device_lengths[n];
    float total = 0.0f;
    if (s < length) {
      for (int j = 0; j < g.kernel; ++j) {
        const int t = rules::tap_output_step(s, j, g.dilation, padding);
        if (t < 0 || t >= length) continue;
        total += dpatches[(static_cast<int64_t>(n) * g.steps + t) * patch_size +
                          static_cast<int64_t>(j) * g.in_channels + c];
      }
    }
    dx[i] = total;
  });
}

}  // namespace ihd::kernels
