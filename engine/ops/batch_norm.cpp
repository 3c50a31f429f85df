// batch_norm (with the fused residual add and ReLU): statistics, running-stat update, apply; the
// backward pass saves the batch mean and invstd from the forward pass. Activations may be float32
// or bfloat16 (with_activation_type picks the kernel overloads); statistics are float32.
//
// Synchronised (a ReplicaSum in the options, training only): the statistics are those of the
// global batch, merged from each replica's mean and centred sum of squares (Chan's parallel
// formula, never E[x^2] - E[x]^2), and the backward's two channel sums are summed across replicas
// before the input gradient. What each replica sums is written where it sums. The global row
// count travels with the first sum (replicas may hold batches of different sizes) and is read back
// to the host, which on CUDA waits for that sum: one 8-byte copy per layer and forward pass.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/storage.h"

namespace ihd {
namespace {

// The row count travels through the float sum as two integers, rows mod 2^12 and rows / 2^12:
// a float holds every integer below 2^24 exactly, so the sum is exact for up to 4,096 replicas
// and 2^36 rows in all.
constexpr int64_t kRowCountBase = 1 << 12;
constexpr float kExactFloatIntegers = 16777216.0f;  // 2^24

// The global batch's mean and invstd (biased variance) from this replica's `rows` rows of x;
// returns the number of rows of all replicas.
template <typename T>
int64_t global_statistics(const T* x, int64_t rows, int channels, Device device,
                          const ReplicaSum& replica_sum, float eps, float* mean, float* invstd) {
  const Shape channel_shape{channels};
  Tensor local_mean = Tensor::empty(channel_shape, device);
  Tensor centred_square_sum = Tensor::empty(channel_shape, device);
  IHD_ON_DEVICE(device, batch_norm_moments, rows, channels, x, local_mean.data(),
                centred_square_sum.data());
  // First sum: rows * mean of each channel, then the row count.
  Tensor mean_terms = Tensor::empty(Shape{channels + 2}, device);
  IHD_ON_DEVICE(device, scale, channels, local_mean.data(), static_cast<float>(rows),
                mean_terms.data());
  float counts[2] = {static_cast<float>(rows % kRowCountBase),
                     static_cast<float>(rows / kRowCountBase)};
  copy_bytes(mean_terms.data() + channels, device, counts, Device::cpu(), sizeof(counts));
  replica_sum(mean_terms.data(), channels + 2);
  copy_bytes(counts, Device::cpu(), mean_terms.data() + channels, device, sizeof(counts));
  IHD_CHECK(counts[0] < kExactFloatIntegers && counts[1] < kExactFloatIntegers,
            "synchronised batch_norm: the row count across replicas is not exact in float (over "
            "4,096 replicas or 2^36 rows)");
  const int64_t total_rows =
      static_cast<int64_t>(counts[0]) + static_cast<int64_t>(counts[1]) * kRowCountBase;
  IHD_CHECK(total_rows > 1,
            "synchronised batch_norm: training needs more than one value per "
            "channel across the replicas, got ",
            total_rows);
  // Second sum: each replica's centred sum of squares about the global mean.
  Tensor square_terms = Tensor::empty(channel_shape, device);
  IHD_ON_DEVICE(device, batch_norm_centred_terms, rows, total_rows, channels, local_mean.data(),
                centred_square_sum.data(), mean_terms.data(), mean, square_terms.data());
  replica_sum(square_terms.data(), channels);
  IHD_ON_DEVICE(device, batch_norm_invstd, total_rows, channels, square_terms.data(), eps, invstd);
  return total_rows;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, BatchNormOptions options,
                  const Tensor& residual) {
  IHD_CHECK(x.rank() == 4 || x.rank() == 2, "batch_norm: input must be NHWC or [N, C], got ",
            x.shape().to_string());
  const int channels = static_cast<int>(x.size(-1));
  const int64_t rows = x.numel() / channels;
  const Shape channel_shape{channels};
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var}) {
    IHD_CHECK(t->shape() == channel_shape, "batch_norm: per-channel tensors must have shape ",
              channel_shape.to_string(), ", got ", t->shape().to_string());
  }
  IHD_CHECK(!residual.defined() || residual.shape() == x.shape(), "batch_norm: residual shape ",
            residual.defined() ? residual.shape().to_string() : "", " differs from input ",
            x.shape().to_string());
  IHD_CHECK(!residual.defined() || residual.dtype() == x.dtype(), "batch_norm: residual is ",
            residual.defined() ? dtype_name(residual.dtype()) : "", " but the input is ",
            dtype_name(x.dtype()));
  const bool synchronised = options.training && options.replica_sum;
  return with_activation_type(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const Device device = x.device();
    Tensor mean = Tensor::empty(channel_shape, device);
    Tensor invstd = Tensor::empty(channel_shape, device);
    // The rows the statistics cover: this replica's, or every replica's when synchronised.
    int64_t total_rows = rows;
    if (synchronised) {
      total_rows = global_statistics(typed_data<T>(x), rows, channels, device, options.replica_sum,
                                     options.eps, mean.data(), invstd.data());
    } else if (options.training) {
      IHD_CHECK(rows > 1, "batch_norm: training needs more than one value per channel, got input ",
                x.shape().to_string());
      IHD_ON_DEVICE(device, batch_norm_statistics, rows, channels, typed_data<T>(x), options.eps,
                    mean.data(), invstd.data());
    } else {
      IHD_ON_DEVICE(device, batch_norm_running_statistics, channels, running_mean.data(),
                    running_var.data(), options.eps, mean.data(), invstd.data());
    }
    if (options.training) {
      IHD_ON_DEVICE(device, batch_norm_update_running, total_rows, channels, mean.data(),
                    invstd.data(), options.eps, options.momentum, running_mean.data(),
                    running_var.data());
      running_mean.mark_modified();
      running_var.mark_modified();
    }
    Tensor y = Tensor::empty(x.shape(), device, x.dtype());
    IHD_ON_DEVICE(device, batch_norm_apply, rows, channels, typed_data<T>(x), mean.data(),
                  invstd.data(), weight.data(), bias.data(), typed_data<T>(residual), options.relu,
                  typed_data<T>(y));
    if (any_requires_grad({&x, &weight, &bias, &residual})) {
      attach_grad_fn(
          y, "batch_norm", {x, weight, bias, residual},
          [=, output = y.detach()](const Tensor& grad) {
            Tensor grad_x = Tensor::empty(x.shape(), device, x.dtype());
            Tensor grad_weight = Tensor::empty(channel_shape, device);
            Tensor grad_bias = Tensor::empty(channel_shape, device);
            Tensor grad_residual;
            if (residual.requires_grad()) {
              grad_residual = Tensor::empty(x.shape(), device, x.dtype());
            }
            IHD_ON_DEVICE(device, batch_norm_backward_reduce, rows, channels, typed_data<T>(x),
                          typed_data<T>(output), typed_data<T>(grad), mean.data(), invstd.data(),
                          options.relu, grad_weight.data(), grad_bias.data());
            // dx needs the two sums over every row the statistics cover: across the replicas
            // when synchronised. The parameter gradients: replica r's loss L_r is the mean over
            // its own B samples and one process's loss over all N B samples is
            // L = (1/N) sum_r L_r, so the upstream gradient replica r receives is N times dL/dy
            // on its rows, and (linearly) so are its dx and its two sums. The parameter
            // gradients returned are this replica's own sums, as torch.nn.SyncBatchNorm's: their
            // average over the replicas, (1/N) sum_r, which the distributed side takes, is then
            // exactly dL/dgamma and dL/dbeta, by the same rule as a convolution's weight
            // gradient. Returning the summed sums would make that average N times too large.
            Tensor totals;
            const float* dgamma_total = grad_weight.data();
            const float* dbeta_total = grad_bias.data();
            if (synchronised) {
              totals = Tensor::empty(Shape{2 * channels}, device);
              copy_bytes(totals.data(), device, grad_weight.data(), device, grad_weight.bytes());
              copy_bytes(totals.data() + channels, device, grad_bias.data(), device,
                         grad_bias.bytes());
              options.replica_sum(totals.data(), 2 * channels);
              dgamma_total = totals.data();
              dbeta_total = totals.data() + channels;
            }
            IHD_ON_DEVICE(device, batch_norm_backward_input, rows, total_rows, channels,
                          typed_data<T>(x), typed_data<T>(output), typed_data<T>(grad), mean.data(),
                          invstd.data(), weight.data(), options.relu, options.training,
                          dgamma_total, dbeta_total, typed_data<T>(grad_x),
                          typed_data<T>(grad_residual));
            return std::vector<Tensor>{grad_x, grad_weight, grad_bias, grad_residual};
          });
    }
    return y;
  });
}

}  // namespace ihd
