// Batch norm's per-channel rules, written once for both backends (host_device.h): the merge of
// synchronised batch norm, the invstd of a variance, the running-statistics update, and the affine
// map of the fused apply. The reductions themselves differ by backend (kernels/batch_norm.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/rules/host_device.h"

namespace ihd::kernels::rules {

// Chan's merge for one channel: global_mean = total_mean_terms / total_rows, and this replica's
// centred sum of squares about it, square_term = centred_square_sum + rows (mean - global_mean)^2.
IHD_HOST_DEVICE inline void batch_norm_centred_term(int64_t rows, int64_t total_rows, float mean,
                                                    float centred_square_sum,
                                                    float total_mean_terms, float& global_mean,
                                                    float& square_term) {
  const double total_mean = static_cast<double>(total_mean_terms) / total_rows;
  const double offset = mean - total_mean;
  global_mean = static_cast<float>(total_mean);
  square_term = static_cast<float>(centred_square_sum + rows * offset * offset);
}

// 1 / sqrt(biased_variance + eps), in double: training mode's invstd.
IHD_HOST_DEVICE inline float invstd_of_variance(double biased_variance, float eps) {
  return static_cast<float>(1.0 / sqrt(biased_variance + eps));
}

// 1 / sqrt(running_var + eps), in float: evaluation mode's invstd.
IHD_HOST_DEVICE inline float running_invstd(float running_var, float eps) {
  return 1.0f / sqrtf(running_var + eps);
}

// running = (1 - momentum) running + momentum batch, for one channel; the batch variance is
// recovered from invstd and made unbiased by `unbiased` = rows / (rows - 1) (1 for one row).
IHD_HOST_DEVICE inline void batch_norm_running_update(float mean, float invstd, float eps,
                                                      float momentum, double unbiased,
                                                      float& running_mean, float& running_var) {
  const double biased_var = 1.0 / (static_cast<double>(invstd) * invstd) - eps;
  running_mean = (1.0f - momentum) * running_mean + momentum * mean;
  running_var =
      static_cast<float>((1.0 - momentum) * running_var + momentum * biased_var * unbiased);
}

// The bias correction of the running-statistics update.
IHD_HOST_DEVICE inline double batch_norm_unbiased_factor(int64_t rows) {
  return rows > 1 ? static_cast<double>(rows) / (rows - 1) : 1.0;
}

// The apply's affine map of one channel, y = x * scale + shift: scale = invstd * gamma,
// shift = beta - mean * scale.
struct BatchNormAffine {
  float scale;
  float shift;
};
IHD_HOST_DEVICE inline BatchNormAffine batch_norm_affine(float mean, float invstd, float gamma,
                                                         float beta) {
  const float scale = invstd * gamma;
  return {scale, beta - mean * scale};
}

}  // namespace ihd::kernels::rules
