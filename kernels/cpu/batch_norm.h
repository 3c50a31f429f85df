// Batch normalisation on the CPU over [rows, channels] data (NHWC flattened: rows = N*H*W), with
// the bottleneck block's glue fused in: y = relu?(x * scale + shift + residual?).
// Statistics are per channel; invstd = 1 / sqrt(biased variance + eps).
#pragma once

#include <cstdint>
#include "kernels/bfloat16.h"

namespace ihd::kernels::cpu {

// Batch mean and invstd of each channel (two passes: mean, then centred squares).
void batch_norm_statistics(int64_t rows, int channels, const float* x, float eps, float* mean,
                           float* invstd);
// mean = running_mean, invstd = 1/sqrt(running_var + eps): the statistics of evaluation mode.
void batch_norm_running_statistics(int channels, const float* running_mean,
                                   const float* running_var, float eps, float* mean,
                                   float* invstd);
// running = (1 - momentum) running + momentum batch, with the unbiased batch variance.
void batch_norm_update_running(int64_t rows, int channels, const float* mean, const float* invstd,
                               float eps, float momentum, float* running_mean, float* running_var);
// y = (x - mean) * invstd * gamma + beta (+ residual) (then ReLU). residual may be null.
void batch_norm_apply(int64_t rows, int channels, const float* x, const float* mean,
                      const float* invstd, const float* gamma, const float* beta,
                      const float* residual, bool relu, float* y);
// Gradients of batch_norm_apply. With relu, y (the op's output) masks dy. With batch_statistics
// the mean and invstd depend on x (training); otherwise they are constants (evaluation).
// dresidual may be null; dx, dgamma, dbeta are overwritten.
void batch_norm_backward(int64_t rows, int channels, const float* x, const float* y,
                         const float* dy, const float* mean, const float* invstd,
                         const float* gamma, bool relu, bool batch_statistics, float* dx,
                         float* dresidual, float* dgamma, float* dbeta);


// bfloat16 activations (x, residual, y, dy, dx, dresidual) with float32 parameters, statistics
// and parameter gradients: each result equals the float32 kernel's on the same values, rounded
// once to bfloat16.
void batch_norm_statistics(int64_t rows, int channels, const bfloat16* x, float eps, float* mean,
                           float* invstd);
void batch_norm_apply(int64_t rows, int channels, const bfloat16* x, const float* mean,
                      const float* invstd, const float* gamma, const float* beta,
                      const bfloat16* residual, bool relu, bfloat16* y);
void batch_norm_backward(int64_t rows, int channels, const bfloat16* x, const bfloat16* y,
                         const bfloat16* dy, const float* mean, const float* invstd,
                         const float* gamma, bool relu, bool batch_statistics, bfloat16* dx,
                         bfloat16* dresidual, float* dgamma, float* dbeta);

}  // namespace ihd::kernels::cpu
