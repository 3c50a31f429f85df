// Batch normalisation over [rows, channels] data (NHWC flattened: rows = N*H*W), with the
// bottleneck block's glue fused in: y = relu?(x * scale + shift + residual?). Statistics are per
// channel; invstd = 1 / sqrt(biased variance + eps). Each kernel is declared once for both
// backends (backend.h); pointers are host pointers on the CPU, device pointers on CUDA.
//
// The channel reductions are deterministic on both backends: the CPU sums fixed blocks of rows
// in float, the blocks in double and the threads' totals in thread order (two passes for the
// statistics: the mean, then the centred squares); CUDA takes one pass of shifted sums
// (x - x[row 0], free of cancellation when |mean| >> std) per fixed stripe of rows in double,
// the stripes added in a fixed order (cuda/batch_norm.cu).
//
// Synchronised batch norm (one batch split across replicas, see engine/ops/batch_norm.cpp) uses
// the same kernels with its sums across replicas in between: moments, then centred_terms and
// invstd for the statistics; backward_reduce, then backward_input for the gradients.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace ihd::kernels {

// Batch mean and invstd of each channel.
template <Backend B>
void batch_norm_statistics(int64_t rows, int channels, const float* x, float eps, float* mean,
                           float* invstd);
// Batch mean and centred sum of squares sum (x - mean)^2 of each channel.
template <Backend B>
void batch_norm_moments(int64_t rows, int channels, const float* x, float* mean,
                        float* centred_square_sum);
// Given total_mean_terms[c] = the sum over replicas of rows * mean[c] (total_rows rows in all):
// global_mean = total_mean_terms / total_rows and this replica's centred sum of squares about it,
// square_terms = centred_square_sum + rows * (mean - global_mean)^2 (Chan's merge).
template <Backend B>
void batch_norm_centred_terms(int64_t rows, int64_t total_rows, int channels, const float* mean,
                              const float* centred_square_sum, const float* total_mean_terms,
                              float* global_mean, float* square_terms);
// invstd = 1 / sqrt(total_square_terms / total_rows + eps): the biased variance of all rows.
template <Backend B>
void batch_norm_invstd(int64_t total_rows, int channels, const float* total_square_terms, float eps,
                       float* invstd);
// mean = running_mean, invstd = 1/sqrt(running_var + eps): the statistics of evaluation mode.
template <Backend B>
void batch_norm_running_statistics(int channels, const float* running_mean,
                                   const float* running_var, float eps, float* mean, float* invstd);
// running = (1 - momentum) running + momentum batch, with the unbiased batch variance.
template <Backend B>
void batch_norm_update_running(int64_t rows, int channels, const float* mean, const float* invstd,
                               float eps, float momentum, float* running_mean, float* running_var);
// y = (x - mean) * invstd * gamma + beta (+ residual) (then ReLU). residual may be null.
template <Backend B>
void batch_norm_apply(int64_t rows, int channels, const float* x, const float* mean,
                      const float* invstd, const float* gamma, const float* beta,
                      const float* residual, bool relu, float* y);
// Gradients of batch_norm_apply, in two passes. g = dy, masked by the ReLU (y > 0, y the op's
// output) with relu; xhat = (x - mean) * invstd.
// The channel sums over these rows: dbeta = sum g, dgamma = sum g * xhat (overwritten).
template <Backend B>
void batch_norm_backward_reduce(int64_t rows, int channels, const float* x, const float* y,
                                const float* dy, const float* mean, const float* invstd, bool relu,
                                float* dgamma, float* dbeta);
// dx of these rows, and dresidual = g when it is not null. With batch_statistics (training: mean
// and invstd depend on x) dx = gamma * invstd * (g - dbeta / total_rows - xhat * dgamma /
// total_rows), dgamma and dbeta the sums over all total_rows rows of the batch (these rows, or
// every replica's); otherwise (evaluation) dx = gamma * invstd * g and the sums are not read.
template <Backend B>
void batch_norm_backward_input(int64_t rows, int64_t total_rows, int channels, const float* x,
                               const float* y, const float* dy, const float* mean,
                               const float* invstd, const float* gamma, bool relu,
                               bool batch_statistics, const float* dgamma, const float* dbeta,
                               float* dx, float* dresidual);

// bfloat16 activations (x, residual, y, dy, dx, dresidual) with float32 parameters, statistics
// and parameter gradients: each result equals the float32 kernel's on the same values, rounded
// once to bfloat16.
template <Backend B>
void batch_norm_statistics(int64_t rows, int channels, const bfloat16* x, float eps, float* mean,
                           float* invstd);
template <Backend B>
void batch_norm_moments(int64_t rows, int channels, const bfloat16* x, float* mean,
                        float* centred_square_sum);
template <Backend B>
void batch_norm_apply(int64_t rows, int channels, const bfloat16* x, const float* mean,
                      const float* invstd, const float* gamma, const float* beta,
                      const bfloat16* residual, bool relu, bfloat16* y);
template <Backend B>
void batch_norm_backward_reduce(int64_t rows, int channels, const bfloat16* x, const bfloat16* y,
                                const bfloat16* dy, const float* mean, const float* invstd,
                                bool relu, float* dgamma, float* dbeta);
template <Backend B>
void batch_norm_backward_input(int64_t rows, int64_t total_rows, int channels, const bfloat16* x,
                               const bfloat16* y, const bfloat16* dy, const float* mean,
                               const float* invstd, const float* gamma, bool relu,
                               bool batch_statistics, const float* dgamma, const float* dbeta,
                               bfloat16* dx, bfloat16* dresidual);

}  // namespace ihd::kernels
