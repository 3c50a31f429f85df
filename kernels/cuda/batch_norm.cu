// Batch norm on the GPU: two per-channel reductions (statistics; the backward's two sums), one
// elementwise pass for the fused apply (affine + residual + ReLU), one for the fused backward.
//
// Reduction over NHWC rows, one pass: a block of 32 x 8 threads owns 32 adjacent channels (a
// warp reads 128 contiguous bytes of a row) and a fixed stripe of rows; each thread adds its
// rows' terms in double, the block adds its 8 row-threads in order and writes one partial per
// channel; a second kernel adds the partials of each channel in order. The number of row groups
// depends only on the shape, so the result is bitwise repeatable on any GPU. Statistics add
// shifted values (x - x[row 0]), which keeps the variance E[d^2] - E[d]^2 free of cancellation
// even when |mean| >> std.
#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/launch.cuh"

namespace ihd::kernels::cuda {
namespace {

constexpr int kChannelsPerBlock = 32;
constexpr int kRowThreads = 8;
constexpr int kMaxRowGroups = 512;
constexpr int64_t kRowsPerGroup = 512;

int row_groups(int64_t rows) {
  return static_cast<int>(
      std::clamp<int64_t>((rows + kRowsPerGroup - 1) / kRowsPerGroup, 1, kMaxRowGroups));
}

// Terms of the statistics: x - shift and its square.
struct ShiftedMoments {
  const float* x;
  int channels;
  __device__ void operator()(int64_t row, int c, double& first, double& second) const {
    const float shifted = x[row * channels + c] - x[c];
    first += shifted;
    second += static_cast<double>(shifted) * shifted;
  }
};

// Terms of the backward: g (dy through the ReLU mask) and g * xhat.
struct GradientMoments {
  const float* x;
  const float* y;
  const float* dy;
  const float* mean;
  const float* invstd;
  int channels;
  bool relu;
  __device__ void operator()(int64_t row, int c, double& first, double& second) const {
    const int64_t i = row * channels + c;
    const float g = (!relu || y[i] > 0.0f) ? dy[i] : 0.0f;
    first += g;
    second += static_cast<double>(g) * ((x[i] - mean[c]) * invstd[c]);
  }
};

// partials[group][c] (first) and partials[groups + group][c] (second), c < channels.
template <typename Terms>
__global__ void channel_partials_kernel(int64_t rows, int channels, Terms terms, double* partials) {
  __shared__ double first_shared[kRowThreads][kChannelsPerBlock];
  __shared__ double second_shared[kRowThreads][kChannelsPerBlock];
  const int c = blockIdx.x * kChannelsPerBlock + threadIdx.x;
  double first = 0.0, second = 0.0;
  if (c < channels) {
    const int64_t stride = static_cast<int64_t>(gridDim.y) * kRowThreads;
#pragma unroll 4
    for (int64_t row = static_cast<int64_t>(blockIdx.y) * kRowThreads + threadIdx.y; row < rows;
         row += stride) {
      terms(row, c, first, second);
    }
  }
  first_shared[threadIdx.y][threadIdx.x] = first;
  second_shared[threadIdx.y][threadIdx.x] = second;
  __syncthreads();
  if (threadIdx.y == 0 && c < channels) {
    for (int t = 1; t < kRowThreads; ++t) {
      first += first_shared[t][threadIdx.x];
      second += second_shared[t][threadIdx.x];
    }
    partials[static_cast<int64_t>(blockIdx.y) * channels + c] = first;
    partials[static_cast<int64_t>(gridDim.y + blockIdx.y) * channels + c] = second;
  }
}

// Adds the partials of each channel in group order.
__device__ void channel_totals(int groups, int channels, const double* partials, int c,
                               double& first, double& second) {
  first = 0.0;
  second = 0.0;
  for (int group = 0; group < groups; ++group) {
    first += partials[static_cast<int64_t>(group) * channels + c];
    second += partials[static_cast<int64_t>(groups + group) * channels + c];
  }
}

__global__ void statistics_finish_kernel(int64_t rows, int channels, int groups,
                                         const double* partials, const float* x, float eps,
                                         float* mean, float* invstd) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double shifted_sum = 0.0, shifted_square_sum = 0.0;
  channel_totals(groups, channels, partials, c, shifted_sum, shifted_square_sum);
  const double shifted_mean = shifted_sum / rows;
  const double variance = fmax(shifted_square_sum / rows - shifted_mean * shifted_mean, 0.0);
  mean[c] = static_cast<float>(x[c] + shifted_mean);
  invstd[c] = static_cast<float>(1.0 / sqrt(variance + eps));
}

__global__ void gradient_finish_kernel(int channels, int groups, const double* partials,
                                       float* dgamma, float* dbeta) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double sum_g = 0.0, sum_g_xhat = 0.0;
  channel_totals(groups, channels, partials, c, sum_g, sum_g_xhat);
  dbeta[c] = static_cast<float>(sum_g);
  dgamma[c] = static_cast<float>(sum_g_xhat);
}

// Runs the partials kernel for `terms` and returns the partials (in the shared workspace).
template <typename Terms>
const double* reduce_over_rows(int64_t rows, int channels, Terms terms, int groups) {
  auto* partials = static_cast<double*>(
      workspace(sizeof(double) * 2 * static_cast<std::size_t>(groups) * channels));
  const dim3 blocks((channels + kChannelsPerBlock - 1) / kChannelsPerBlock, groups);
  const dim3 threads(kChannelsPerBlock, kRowThreads);
  channel_partials_kernel<<<blocks, threads, 0, compute_stream()>>>(rows, channels, terms,
                                                                    partials);
  IHD_CUDA_CHECK_LAUNCH();
  return partials;
}

unsigned int channel_blocks(int channels) {
  return static_cast<unsigned int>((channels + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

}  // namespace

void batch_norm_statistics(int64_t rows, int channels, const float* x, float eps, float* mean,
                           float* invstd) {
  const int groups = row_groups(rows);
  const double* partials = reduce_over_rows(rows, channels, ShiftedMoments{x, channels}, groups);
  statistics_finish_kernel<<<channel_blocks(channels), kThreadsPerBlock, 0, compute_stream()>>>(
      rows, channels, groups, partials, x, eps, mean, invstd);
  IHD_CUDA_CHECK_LAUNCH();
}

void batch_norm_running_statistics(int channels, const float* running_mean,
                                   const float* running_var, float eps, float* mean,
                                   float* invstd) {
  for_each_index(channels, [=] __device__(int64_t c) {
    mean[c] = running_mean[c];
    invstd[c] = 1.0f / sqrtf(running_var[c] + eps);
  });
}

void batch_norm_update_running(int64_t rows, int channels, const float* mean, const float* invstd,
                               float eps, float momentum, float* running_mean, float* running_var) {
  const double unbiased = rows > 1 ? static_cast<double>(rows) / (rows - 1) : 1.0;
  for_each_index(channels, [=] __device__(int64_t c) {
    const double biased_var = 1.0 / (static_cast<double>(invstd[c]) * invstd[c]) - eps;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean[c];
    running_var[c] =
        static_cast<float>((1.0 - momentum) * running_var[c] + momentum * biased_var * unbiased);
  });
}

void batch_norm_apply(int64_t rows, int channels, const float* x, const float* mean,
                      const float* invstd, const float* gamma, const float* beta,
                      const float* residual, bool relu, float* y) {
  for_each_index(rows * channels, [=] __device__(int64_t i) {
    const int c = static_cast<int>(i % channels);
    const float scale = invstd[c] * gamma[c];
    const float shift = beta[c] - mean[c] * scale;
    float value = x[i] * scale + shift;
    if (residual) value += residual[i];
    if (relu) value = value > 0.0f ? value : 0.0f;
    y[i] = value;
  });
}

void batch_norm_backward(int64_t rows, int channels, const float* x, const float* y,
                         const float* dy, const float* mean, const float* invstd,
                         const float* gamma, bool relu, bool batch_statistics, float* dx,
                         float* dresidual, float* dgamma, float* dbeta) {
  const int groups = row_groups(rows);
  const double* partials = reduce_over_rows(
      rows, channels, GradientMoments{x, y, dy, mean, invstd, channels, relu}, groups);
  gradient_finish_kernel<<<channel_blocks(channels), kThreadsPerBlock, 0, compute_stream()>>>(
      channels, groups, partials, dgamma, dbeta);
  IHD_CUDA_CHECK_LAUNCH();
  // Training:   dx = gamma * invstd * (g - mean(g) - xhat * mean(g * xhat))
  // Evaluation: dx = gamma * invstd * g
  const float inverse_rows = batch_statistics ? 1.0f / static_cast<float>(rows) : 0.0f;
  for_each_index(rows * channels, [=] __device__(int64_t i) {
    const int c = static_cast<int>(i % channels);
    const float g = (!relu || y[i] > 0.0f) ? dy[i] : 0.0f;
    const float xhat = (x[i] - mean[c]) * invstd[c];
    dx[i] = gamma[c] * invstd[c] * (g - dbeta[c] * inverse_rows - xhat * dgamma[c] * inverse_rows);
    if (dresidual) dresidual[i] = g;
  });
}

}  // namespace ihd::kernels::cuda
