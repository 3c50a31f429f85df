// The <Backend::cuda> specializations of kernels/batch_norm.h, and the kernels and helpers behind
// them (in ihd::kernels::cuda). Per-channel rules shared with the CPU: kernels/rules/batch_norm.h.
//
// Batch norm on the GPU: two per-channel reductions (statistics or moments; the backward's two
// sums), one elementwise pass for the fused apply (affine + residual + ReLU), one for the fused
// input gradient; synchronised batch norm's per-channel merges are one thread per channel.
//
// Reduction over NHWC rows, one pass: a block of 32 x 8 threads owns 32 adjacent channels (a
// warp reads 128 contiguous bytes of a row) and a fixed stripe of rows; each thread adds its
// rows' terms in double, the block adds its 8 row-threads in order and writes one partial per
// channel; a second kernel adds the partials of each channel in order. The number of row groups
// depends only on the shape, so the result is bitwise repeatable on any GPU. Statistics add
// shifted values (x - x[row 0]), which keeps the variance E[d^2] - E[d]^2 free of cancellation
// even when |mean| >> std.
//
// Every kernel is a template on the activation type, float or __nv_bfloat16 (bfloat16.cuh):
// bfloat16 activations are widened to float32 on load, everything is computed exactly as for
// float32, and each bfloat16 result is rounded once on store; parameters, statistics and their
// gradients stay float32. The elementwise passes move 8 bfloat16 (16 bytes) per load and store
// when the pointers are 16-byte aligned (the float32 path keeps one element per thread).
#include "kernels/batch_norm.h"
#include "kernels/cuda/bfloat16.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/rules/activation.h"
#include "kernels/rules/batch_norm.h"

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
template <typename T>
struct ShiftedMoments {
  const T* x;
  int channels;
  __device__ void operator()(int64_t row, int c, double& first, double& second) const {
    const float shifted = as_float(x[row * channels + c]) - as_float(x[c]);
    first += shifted;
    second += static_cast<double>(shifted) * shifted;
  }
};

// Terms of the backward: g (dy through the ReLU mask) and g * xhat.
template <typename T>
struct GradientMoments {
  const T* x;
  const T* y;
  const T* dy;
  const float* mean;
  const float* invstd;
  int channels;
  bool relu;
  __device__ void operator()(int64_t row, int c, double& first, double& second) const {
    const int64_t i = row * channels + c;
    const float g = relu ? rules::relu_gradient(as_float(y[i]), as_float(dy[i])) : as_float(dy[i]);
    first += g;
    second += static_cast<double>(g) * ((as_float(x[i]) - mean[c]) * invstd[c]);
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

// The mean of channel c and its biased variance, from the shifted sums.
template <typename T>
__device__ void shifted_statistics(int64_t rows, int channels, int groups, const double* partials,
                                   const T* x, int c, double& mean, double& variance) {
  double shifted_sum = 0.0, shifted_square_sum = 0.0;
  channel_totals(groups, channels, partials, c, shifted_sum, shifted_square_sum);
  const double shifted_mean = shifted_sum / rows;
  variance = fmax(shifted_square_sum / rows - shifted_mean * shifted_mean, 0.0);
  mean = as_float(x[c]) + shifted_mean;
}

template <typename T>
__global__ void statistics_finish_kernel(int64_t rows, int channels, int groups,
                                         const double* partials, const T* x, float eps, float* mean,
                                         float* invstd) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double mean_c = 0.0, variance = 0.0;
  shifted_statistics(rows, channels, groups, partials, x, c, mean_c, variance);
  mean[c] = static_cast<float>(mean_c);
  invstd[c] = rules::invstd_of_variance(variance, eps);
}

template <typename T>
__global__ void moments_finish_kernel(int64_t rows, int channels, int groups,
                                      const double* partials, const T* x, float* mean,
                                      float* centred_square_sum) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double mean_c = 0.0, variance = 0.0;
  shifted_statistics(rows, channels, groups, partials, x, c, mean_c, variance);
  mean[c] = static_cast<float>(mean_c);
  centred_square_sum[c] = static_cast<float>(variance * rows);
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

template <typename T>
void statistics(int64_t rows, int channels, const T* x, float eps, float* mean, float* invstd) {
  const int groups = row_groups(rows);
  const double* partials = reduce_over_rows(rows, channels, ShiftedMoments<T>{x, channels}, groups);
  statistics_finish_kernel<<<channel_blocks(channels), kThreadsPerBlock, 0, compute_stream()>>>(
      rows, channels, groups, partials, x, eps, mean, invstd);
  IHD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void moments(int64_t rows, int channels, const T* x, float* mean, float* centred_square_sum) {
  const int groups = row_groups(rows);
  const double* partials = reduce_over_rows(rows, channels, ShiftedMoments<T>{x, channels}, groups);
  moments_finish_kernel<<<channel_blocks(channels), kThreadsPerBlock, 0, compute_stream()>>>(
      rows, channels, groups, partials, x, mean, centred_square_sum);
  IHD_CUDA_CHECK_LAUNCH();
}

// y = relu?(x * scale + shift + residual?), kWidth elements per thread (1, or a vector of
// bfloat16 when the pointers are aligned for it).
template <int kWidth, typename T>
void apply(int64_t rows, int channels, const T* x, const float* mean, const float* invstd,
           const float* gamma, const float* beta, const T* residual, bool relu, T* y) {
  const int64_t n = rows * channels;
  for_each_index((n + kWidth - 1) / kWidth, [=] __device__(int64_t k) {
    const int64_t first = k * kWidth;
    float xs[kWidth] = {}, residuals[kWidth] = {}, ys[kWidth];
    load_floats(x, first, n, xs);
    if (residual) load_floats(residual, first, n, residuals);
    int c = static_cast<int>(first % channels);
#pragma unroll
    for (int j = 0; j < kWidth; ++j) {
      const rules::BatchNormAffine affine =
          rules::batch_norm_affine(mean[c], invstd[c], gamma[c], beta[c]);
      float value = xs[j] * affine.scale + affine.shift;
      if (residual) value += residuals[j];
      if (relu) value = rules::relu(value);
      ys[j] = value;
      c = c + 1 == channels ? 0 : c + 1;
    }
    store_floats(y, first, n, ys);
  });
}

template <typename T>
void backward_reduce(int64_t rows, int channels, const T* x, const T* y, const T* dy,
                     const float* mean, const float* invstd, bool relu, float* dgamma,
                     float* dbeta) {
  const int groups = row_groups(rows);
  const double* partials = reduce_over_rows(
      rows, channels, GradientMoments<T>{x, y, dy, mean, invstd, channels, relu}, groups);
  gradient_finish_kernel<<<channel_blocks(channels), kThreadsPerBlock, 0, compute_stream()>>>(
      channels, groups, partials, dgamma, dbeta);
  IHD_CUDA_CHECK_LAUNCH();
}

template <int kWidth, typename T>
void backward_input(int64_t rows, int64_t total_rows, int channels, const T* x, const T* y,
                    const T* dy, const float* mean, const float* invstd, const float* gamma,
                    bool relu, bool batch_statistics, const float* dgamma, const float* dbeta,
                    T* dx, T* dresidual) {
  // Training:   dx = gamma * invstd * (g - dbeta / total_rows - xhat * dgamma / total_rows)
  // Evaluation: dx = gamma * invstd * g
  const float inverse_rows = 1.0f / static_cast<float>(total_rows);
  const int64_t n = rows * channels;
  for_each_index((n + kWidth - 1) / kWidth, [=] __device__(int64_t k) {
    const int64_t first = k * kWidth;
    float xs[kWidth] = {}, ys[kWidth] = {}, dys[kWidth] = {}, dxs[kWidth], gs[kWidth];
    load_floats(x, first, n, xs);
    load_floats(y, first, n, ys);
    load_floats(dy, first, n, dys);
    int c = static_cast<int>(first % channels);
#pragma unroll
    for (int j = 0; j < kWidth; ++j) {
      const float g = relu ? rules::relu_gradient(ys[j], dys[j]) : dys[j];
      const float xhat = (xs[j] - mean[c]) * invstd[c];
      const float centred =
          batch_statistics ? g - dbeta[c] * inverse_rows - xhat * dgamma[c] * inverse_rows : g;
      dxs[j] = gamma[c] * invstd[c] * centred;
      gs[j] = g;
      c = c + 1 == channels ? 0 : c + 1;
    }
    store_floats(dx, first, n, dxs);
    if (dresidual) store_floats(dresidual, first, n, gs);
  });
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void batch_norm_statistics<Backend::cuda>(int64_t rows, int channels, const float* x, float eps,
                                          float* mean, float* invstd) {
  cuda::statistics(rows, channels, x, eps, mean, invstd);
}

template <>
void batch_norm_statistics<Backend::cuda>(int64_t rows, int channels, const bfloat16* x, float eps,
                                          float* mean, float* invstd) {
  cuda::statistics(rows, channels, cuda::device_type(x), eps, mean, invstd);
}

template <>
void batch_norm_moments<Backend::cuda>(int64_t rows, int channels, const float* x, float* mean,
                                       float* centred_square_sum) {
  cuda::moments(rows, channels, x, mean, centred_square_sum);
}

template <>
void batch_norm_moments<Backend::cuda>(int64_t rows, int channels, const bfloat16* x, float* mean,
                                       float* centred_square_sum) {
  cuda::moments(rows, channels, cuda::device_type(x), mean, centred_square_sum);
}

template <>
void batch_norm_centred_terms<Backend::cuda>(int64_t rows, int64_t total_rows, int channels,
                                             const float* mean, const float* centred_square_sum,
                                             const float* total_mean_terms, float* global_mean,
                                             float* square_terms) {
  cuda::for_each_index(channels, [=] __device__(int64_t c) {
    rules::batch_norm_centred_term(rows, total_rows, mean[c], centred_square_sum[c],
                                   total_mean_terms[c], global_mean[c], square_terms[c]);
  });
}

template <>
void batch_norm_invstd<Backend::cuda>(int64_t total_rows, int channels,
                                      const float* total_square_terms, float eps, float* invstd) {
  cuda::for_each_index(channels, [=] __device__(int64_t c) {
    invstd[c] =
        rules::invstd_of_variance(static_cast<double>(total_square_terms[c]) / total_rows, eps);
  });
}

template <>
void batch_norm_running_statistics<Backend::cuda>(int channels, const float* running_mean,
                                                  const float* running_var, float eps, float* mean,
                                                  float* invstd) {
  cuda::for_each_index(channels, [=] __device__(int64_t c) {
    mean[c] = running_mean[c];
    invstd[c] = rules::running_invstd(running_var[c], eps);
  });
}

template <>
void batch_norm_update_running<Backend::cuda>(int64_t rows, int channels, const float* mean,
                                              const float* invstd, float eps, float momentum,
                                              float* running_mean, float* running_var) {
  const double unbiased = rules::batch_norm_unbiased_factor(rows);
  cuda::for_each_index(channels, [=] __device__(int64_t c) {
    rules::batch_norm_running_update(mean[c], invstd[c], eps, momentum, unbiased, running_mean[c],
                                     running_var[c]);
  });
}

template <>
void batch_norm_apply<Backend::cuda>(int64_t rows, int channels, const float* x, const float* mean,
                                     const float* invstd, const float* gamma, const float* beta,
                                     const float* residual, bool relu, float* y) {
  cuda::apply<1>(rows, channels, x, mean, invstd, gamma, beta, residual, relu, y);
}

template <>
void batch_norm_apply<Backend::cuda>(int64_t rows, int channels, const bfloat16* x,
                                     const float* mean, const float* invstd, const float* gamma,
                                     const float* beta, const bfloat16* residual, bool relu,
                                     bfloat16* y) {
  const __nv_bfloat16 *x_ = cuda::device_type(x), *residual_ = cuda::device_type(residual);
  __nv_bfloat16* y_ = cuda::device_type(y);
  if (cuda::vector_aligned<cuda::kBfloat16VectorWidth>(x_, residual_, y_)) {
    cuda::apply<cuda::kBfloat16VectorWidth>(rows, channels, x_, mean, invstd, gamma, beta,
                                            residual_, relu, y_);
  } else {
    cuda::apply<1>(rows, channels, x_, mean, invstd, gamma, beta, residual_, relu, y_);
  }
}

template <>
void batch_norm_backward_reduce<Backend::cuda>(int64_t rows, int channels, const float* x,
                                               const float* y, const float* dy, const float* mean,
                                               const float* invstd, bool relu, float* dgamma,
                                               float* dbeta) {
  cuda::backward_reduce(rows, channels, x, y, dy, mean, invstd, relu, dgamma, dbeta);
}

template <>
void batch_norm_backward_reduce<Backend::cuda>(int64_t rows, int channels, const bfloat16* x,
                                               const bfloat16* y, const bfloat16* dy,
                                               const float* mean, const float* invstd, bool relu,
                                               float* dgamma, float* dbeta) {
  cuda::backward_reduce(rows, channels, cuda::device_type(x), cuda::device_type(y),
                        cuda::device_type(dy), mean, invstd, relu, dgamma, dbeta);
}

template <>
void batch_norm_backward_input<Backend::cuda>(int64_t rows, int64_t total_rows, int channels,
                                              const float* x, const float* y, const float* dy,
                                              const float* mean, const float* invstd,
                                              const float* gamma, bool relu, bool batch_statistics,
                                              const float* dgamma, const float* dbeta, float* dx,
                                              float* dresidual) {
  cuda::backward_input<1>(rows, total_rows, channels, x, y, dy, mean, invstd, gamma, relu,
                          batch_statistics, dgamma, dbeta, dx, dresidual);
}

template <>
void batch_norm_backward_input<Backend::cuda>(int64_t rows, int64_t total_rows, int channels,
                                              const bfloat16* x, const bfloat16* y,
                                              const bfloat16* dy, const float* mean,
                                              const float* invstd, const float* gamma, bool relu,
                                              bool batch_statistics, const float* dgamma,
                                              const float* dbeta, bfloat16* dx,
                                              bfloat16* dresidual) {
  const __nv_bfloat16 *x_ = cuda::device_type(x), *y_ = cuda::device_type(y),
                      *dy_ = cuda::device_type(dy);
  __nv_bfloat16 *dx_ = cuda::device_type(dx), *dresidual_ = cuda::device_type(dresidual);
  if (cuda::vector_aligned<cuda::kBfloat16VectorWidth>(x_, y_, dy_, dx_, dresidual_)) {
    cuda::backward_input<cuda::kBfloat16VectorWidth>(rows, total_rows, channels, x_, y_, dy_, mean,
                                                     invstd, gamma, relu, batch_statistics, dgamma,
                                                     dbeta, dx_, dresidual_);
  } else {
    cuda::backward_input<1>(rows, total_rows, channels, x_, y_, dy_, mean, invstd, gamma, relu,
                            batch_statistics, dgamma, dbeta, dx_, dresidual_);
  }
}

}  // namespace ihd::kernels
