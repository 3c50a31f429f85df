// The <Backend::cpu> specializations of kernels/batch_norm.h, float32 and bfloat16 activations
// from one template each (activation_type.h: a bfloat16 kernel reads and writes bfloat16 and
// computes in float32, bit for bit the float32 kernel on the widened values, rounded once); the
// per-channel rules, shared with CUDA, are in kernels/rules/batch_norm.h. Reductions split the
// rows into fixed blocks, sum each block in float, add blocks per thread in double, and add the
// threads' totals in thread order: the result is accurate and identical from run to run for a
// given thread count.
#include "kernels/batch_norm.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/activation_type.h"
#include "kernels/rules/activation.h"
#include "kernels/rules/batch_norm.h"

namespace ihd::kernels {
namespace {

using cpu::load;
using cpu::stored_as;

constexpr int64_t kRowsPerBlock = 64;

// For each channel c: total_a[c] = sum over rows of a(row, c), total_b likewise, where
// add_row(row, sum_a, sum_b) adds one row's terms into float accumulators of size `channels`.
template <typename AddRow>
void sum_over_rows(int64_t rows, int channels, AddRow add_row, double* total_a, double* total_b) {
  const int threads = omp_get_max_threads();
  std::vector<double> per_thread(static_cast<std::size_t>(threads) * 2 * channels, 0.0);
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
#pragma omp parallel num_threads(threads)
  {
    double* thread_a =
        per_thread.data() + static_cast<std::size_t>(omp_get_thread_num()) * 2 * channels;
    double* thread_b = thread_a + channels;
    std::vector<float> block_a(channels), block_b(channels);
#pragma omp for schedule(static)
    for (int64_t block = 0; block < blocks; ++block) {
      std::fill(block_a.begin(), block_a.end(), 0.0f);
      std::fill(block_b.begin(), block_b.end(), 0.0f);
      const int64_t end = std::min(rows, (block + 1) * kRowsPerBlock);
      for (int64_t row = block * kRowsPerBlock; row < end; ++row) {
        add_row(row, block_a.data(), block_b.data());
      }
      for (int c = 0; c < channels; ++c) {
        thread_a[c] += block_a[c];
        thread_b[c] += block_b[c];
      }
    }
  }
  std::fill(total_a, total_a + channels, 0.0);
  std::fill(total_b, total_b + channels, 0.0);
  for (int t = 0; t < threads; ++t) {
    const double* thread_a = per_thread.data() + static_cast<std::size_t>(t) * 2 * channels;
    for (int c = 0; c < channels; ++c) {
      total_a[c] += thread_a[c];
      total_b[c] += thread_a[channels + c];
    }
  }
}

// The mean of each channel (float) and the sum of squares about it (double): two passes.
template <typename T>
void mean_and_centred_squares(int64_t rows, int channels, const T* x, float* mean,
                              double* squares) {
  std::vector<double> sums(channels), unused(channels);
  sum_over_rows(
      rows, channels,
      [&](int64_t row, float* sum, float*) {
        const T* x_row = x + row * channels;
#pragma omp simd
        for (int c = 0; c < channels; ++c) sum[c] += load(x_row[c]);
      },
      sums.data(), unused.data());
  for (int c = 0; c < channels; ++c) mean[c] = static_cast<float>(sums[c] / rows);
  sum_over_rows(
      rows, channels,
      [&](int64_t row, float* square_sum, float*) {
        const T* x_row = x + row * channels;
#pragma omp simd
        for (int c = 0; c < channels; ++c) {
          const float centred = load(x_row[c]) - mean[c];
          square_sum[c] += centred * centred;
        }
      },
      squares, unused.data());
}

template <typename T>
void statistics(int64_t rows, int channels, const T* x, float eps, float* mean, float* invstd) {
  std::vector<double> squares(channels);
  mean_and_centred_squares(rows, channels, x, mean, squares.data());
  for (int c = 0; c < channels; ++c) {
    invstd[c] = rules::invstd_of_variance(squares[c] / rows, eps);
  }
}

template <typename T>
void moments(int64_t rows, int channels, const T* x, float* mean, float* centred_square_sum) {
  std::vector<double> squares(channels);
  mean_and_centred_squares(rows, channels, x, mean, squares.data());
  for (int c = 0; c < channels; ++c) centred_square_sum[c] = static_cast<float>(squares[c]);
}

}  // namespace

template <>
void batch_norm_statistics<Backend::cpu>(int64_t rows, int channels, const float* x, float eps,
                                         float* mean, float* invstd) {
  statistics(rows, channels, x, eps, mean, invstd);
}
template <>
void batch_norm_statistics<Backend::cpu>(int64_t rows, int channels, const bfloat16* x, float eps,
                                         float* mean, float* invstd) {
  statistics(rows, channels, x, eps, mean, invstd);
}

template <>
void batch_norm_moments<Backend::cpu>(int64_t rows, int channels, const float* x, float* mean,
                                      float* centred_square_sum) {
  moments(rows, channels, x, mean, centred_square_sum);
}
template <>
void batch_norm_moments<Backend::cpu>(int64_t rows, int channels, const bfloat16* x, float* mean,
                                      float* centred_square_sum) {
  moments(rows, channels, x, mean, centred_square_sum);
}

template <>
void batch_norm_centred_terms<Backend::cpu>(int64_t rows, int64_t total_rows, int channels,
                                            const float* mean, const float* centred_square_sum,
                                            const float* total_mean_terms, float* global_mean,
                                            float* square_terms) {
  for (int c = 0; c < channels; ++c) {
    rules::batch_norm_centred_term(rows, total_rows, mean[c], centred_square_sum[c],
                                   total_mean_terms[c], global_mean[c], square_terms[c]);
  }
}

template <>
void batch_norm_invstd<Backend::cpu>(int64_t total_rows, int channels,
                                     const float* total_square_terms, float eps, float* invstd) {
  for (int c = 0; c < channels; ++c) {
    invstd[c] =
        rules::invstd_of_variance(static_cast<double>(total_square_terms[c]) / total_rows, eps);
  }
}

template <>
void batch_norm_running_statistics<Backend::cpu>(int channels, const float* running_mean,
                                                 const float* running_var, float eps, float* mean,
                                                 float* invstd) {
  for (int c = 0; c < channels; ++c) {
    mean[c] = running_mean[c];
    invstd[c] = rules::running_invstd(running_var[c], eps);
  }
}

template <>
void batch_norm_update_running<Backend::cpu>(int64_t rows, int channels, const float* mean,
                                             const float* invstd, float eps, float momentum,
                                             float* running_mean, float* running_var) {
  const double unbiased = rules::batch_norm_unbiased_factor(rows);
  for (int c = 0; c < channels; ++c) {
    rules::batch_norm_running_update(mean[c], invstd[c], eps, momentum, unbiased, running_mean[c],
                                     running_var[c]);
  }
}

namespace {

template <typename T>
void apply(int64_t rows, int channels, const T* x, const float* mean, const float* invstd,
           const float* gamma, const float* beta, const T* residual, bool relu, T* y) {
  std::vector<float> scale(channels), shift(channels);
  for (int c = 0; c < channels; ++c) {
    const rules::BatchNormAffine affine =
        rules::batch_norm_affine(mean[c], invstd[c], gamma[c], beta[c]);
    scale[c] = affine.scale;
    shift[c] = affine.shift;
  }
  const float* s = scale.data();
  const float* b = shift.data();
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const T* x_row = x + row * channels;
    T* y_row = y + row * channels;
    const T* r_row = residual ? residual + row * channels : nullptr;
#pragma omp simd
    for (int c = 0; c < channels; ++c) {
      float value = load(x_row[c]) * s[c] + b[c];
      if (r_row) value += load(r_row[c]);
      if (relu) value = rules::relu(value);
      y_row[c] = stored_as<T>(value);
    }
  }
}

}  // namespace

template <>
void batch_norm_apply<Backend::cpu>(int64_t rows, int channels, const float* x, const float* mean,
                                    const float* invstd, const float* gamma, const float* beta,
                                    const float* residual, bool relu, float* y) {
  apply(rows, channels, x, mean, invstd, gamma, beta, residual, relu, y);
}
template <>
void batch_norm_apply<Backend::cpu>(int64_t rows, int channels, const bfloat16* x,
                                    const float* mean, const float* invstd, const float* gamma,
                                    const float* beta, const bfloat16* residual, bool relu,
                                    bfloat16* y) {
  apply(rows, channels, x, mean, invstd, gamma, beta, residual, relu, y);
}

namespace {

// The ReLU mask of the backward pass: g = dy where the op's output was positive.
template <bool kRelu>
float masked_gradient(float y, float dy) {
  if constexpr (kRelu) {
    return rules::relu_gradient(y, dy);
  } else {
    return dy;
  }
}

// sum g and sum g * (x - mean), per channel; the two reductions of the backward pass.
template <bool kRelu, typename T>
void sum_gradients(int64_t rows, int channels, const T* x, const T* y, const T* dy,
                   const float* mean, double* sum_g, double* sum_g_centred) {
  sum_over_rows(
      rows, channels,
      [=](int64_t row, float* __restrict g_sum, float* __restrict g_centred_sum) {
        const T* __restrict x_row = x + row * channels;
        const T* __restrict y_row = y + row * channels;
        const T* __restrict dy_row = dy + row * channels;
#pragma omp simd
        for (int c = 0; c < channels; ++c) {
          const float g = masked_gradient<kRelu>(load(y_row[c]), load(dy_row[c]));
          g_sum[c] += g;
          g_centred_sum[c] += g * (load(x_row[c]) - mean[c]);
        }
      },
      sum_g, sum_g_centred);
}

// dx = gain * (g - mean_g - (x - mean) * slope) and dresidual = g, row by row.
template <bool kRelu, bool kResidual, typename T>
void apply_gradients(int64_t rows, int channels, const T* x, const T* y, const T* dy,
                     const float* mean, const float* gain, const float* mean_g, const float* slope,
                     T* dx, T* dresidual) {
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const T* __restrict x_row = x + row * channels;
    const T* __restrict y_row = y + row * channels;
    const T* __restrict dy_row = dy + row * channels;
    T* __restrict dx_row = dx + row * channels;
    T* __restrict dr_row = kResidual ? dresidual + row * channels : nullptr;
#pragma omp simd
    for (int c = 0; c < channels; ++c) {
      const float g = masked_gradient<kRelu>(load(y_row[c]), load(dy_row[c]));
      dx_row[c] = stored_as<T>(gain[c] * (g - mean_g[c] - (load(x_row[c]) - mean[c]) * slope[c]));
      if constexpr (kResidual) dr_row[c] = stored_as<T>(g);
    }
  }
}

template <typename T>
void backward_reduce(int64_t rows, int channels, const T* x, const T* y, const T* dy,
                     const float* mean, const float* invstd, bool relu, float* dgamma,
                     float* dbeta) {
  // dgamma = sum g * xhat = invstd * sum g (x - mean).
  std::vector<double> sum_g(channels), sum_g_centred(channels);
  (relu ? sum_gradients<true, T> : sum_gradients<false, T>)(rows, channels, x, y, dy, mean,
                                                            sum_g.data(), sum_g_centred.data());
  for (int c = 0; c < channels; ++c) {
    dbeta[c] = static_cast<float>(sum_g[c]);
    dgamma[c] = static_cast<float>(sum_g_centred[c] * invstd[c]);
  }
}

template <typename T>
void backward_input(int64_t rows, int64_t total_rows, int channels, const T* x, const T* y,
                    const T* dy, const float* mean, const float* invstd, const float* gamma,
                    bool relu, bool batch_statistics, const float* dgamma, const float* dbeta,
                    T* dx, T* dresidual) {
  // With xhat = (x - mean) * invstd, the xhat term is (x - mean) * slope, slope = invstd *
  // dgamma / total_rows.
  std::vector<float> gain(channels), mean_g(channels), slope(channels);
  for (int c = 0; c < channels; ++c) {
    gain[c] = gamma[c] * invstd[c];
    mean_g[c] =
        batch_statistics ? static_cast<float>(static_cast<double>(dbeta[c]) / total_rows) : 0.0f;
    slope[c] = batch_statistics
                   ? static_cast<float>(static_cast<double>(dgamma[c]) / total_rows * invstd[c])
                   : 0.0f;
  }
  const auto apply_them =
      relu ? (dresidual ? apply_gradients<true, true, T> : apply_gradients<true, false, T>)
           : (dresidual ? apply_gradients<false, true, T> : apply_gradients<false, false, T>);
  apply_them(rows, channels, x, y, dy, mean, gain.data(), mean_g.data(), slope.data(), dx,
             dresidual);
}

}  // namespace

template <>
void batch_norm_backward_reduce<Backend::cpu>(int64_t rows, int channels, const float* x,
                                              const float* y, const float* dy, const float* mean,
                                              const float* invstd, bool relu, float* dgamma,
                                              float* dbeta) {
  backward_reduce(rows, channels, x, y, dy, mean, invstd, relu, dgamma, dbeta);
}
template <>
void batch_norm_backward_reduce<Backend::cpu>(int64_t rows, int channels, const bfloat16* x,
                                              const bfloat16* y, const bfloat16* dy,
                                              const float* mean, const float* invstd, bool relu,
                                              float* dgamma, float* dbeta) {
  backward_reduce(rows, channels, x, y, dy, mean, invstd, relu, dgamma, dbeta);
}

template <>
void batch_norm_backward_input<Backend::cpu>(int64_t rows, int64_t total_rows, int channels,
                                             const float* x, const float* y, const float* dy,
                                             const float* mean, const float* invstd,
                                             const float* gamma, bool relu, bool batch_statistics,
                                             const float* dgamma, const float* dbeta, float* dx,
                                             float* dresidual) {
  backward_input(rows, total_rows, channels, x, y, dy, mean, invstd, gamma, relu, batch_statistics,
                 dgamma, dbeta, dx, dresidual);
}
template <>
void batch_norm_backward_input<Backend::cpu>(int64_t rows, int64_t total_rows, int channels,
                                             const bfloat16* x, const bfloat16* y,
                                             const bfloat16* dy, const float* mean,
                                             const float* invstd, const float* gamma, bool relu,
                                             bool batch_statistics, const float* dgamma,
                                             const float* dbeta, bfloat16* dx,
                                             bfloat16* dresidual) {
  backward_input(rows, total_rows, channels, x, y, dy, mean, invstd, gamma, relu, batch_statistics,
                 dgamma, dbeta, dx, dresidual);
}

}  // namespace ihd::kernels
