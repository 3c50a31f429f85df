// The CPU-versus-CUDA op table: every kernel of kernels/kernels.h runs on both backends from
// the same random inputs (never all zeros), and every output, gradients included, is compared by
// normalised error sum (a - b)^2 / sum a^2. Shapes cover batch 1, odd sizes, channel counts that
// are not multiples of 8, and real ResNet-50 layer shapes at small batch; the sequence kernels
// run padded batches whose padding is NaN, so that a twin reading it fails.
//
// Tolerances (float32, TF32 off: the CUDA backend's default, see kernels/cuda/context.h):
//   kExact 1e-12: each output is the same short formula on both sides (elementwise ops, pooling,
//     optimizer updates, double-precision reductions);
//   kReduced 1e-10: per-channel statistics and their gradients (float terms summed in a
//     different order);
//   kProduct 1e-9: convolutions and matrix products, whose dot products of up to ~6,000 terms
//     are summed in a different order (expected error about 1e-11), and the sequence kernels
//     built on them (a GRU's recurrence carries each step's rounding into the next; its gates
//     use expf and tanhf on the GPU, std::exp and std::tanh on the CPU).
#include "op_table_shapes.h"
#include "twin.h"

namespace ihd::cuda_test {
namespace {

constexpr double kExact = 1e-12;
constexpr double kReduced = 1e-10;
constexpr double kProduct = 1e-9;

// ---- elementwise ----

constexpr int64_t kElementCounts[] = {1, 7, 4097, 1000003};

TEST_CASE("elementwise: fill, add, mul, scale, broadcast_scalar") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(1);
  for (const int64_t n : kElementCounts) {
    CAPTURE(n);
    Twin a = Twin::random(n, engine), b = Twin::random(n, engine, 0.5f, 2.0f);
    Twin scalar = Twin::random(1, engine, 1.0f, 2.0f);
    Twin filled = Twin::poisoned(n), sum = Twin::poisoned(n), product = Twin::poisoned(n);
    Twin scaled = Twin::poisoned(n), broadcast = Twin::poisoned(n);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, fill, n, 0.375f, filled[side]);
      IHD_ON_BACKEND(side, add, n, a[side], b[side], sum[side]);
      IHD_ON_BACKEND(side, mul, n, a[side], b[side], product[side]);
      IHD_ON_BACKEND(side, scale, n, a[side], -1.75f, scaled[side]);
      IHD_ON_BACKEND(side, broadcast_scalar, n, scalar[side], 0.25f, broadcast[side]);
    }
    expect_close("fill", filled, kExact);
    expect_close("add", sum, kExact);
    expect_close("mul", product, kExact);
    expect_close("scale", scaled, kExact);
    expect_close("broadcast_scalar", broadcast, kExact);
  }
}

TEST_CASE("elementwise: sum, in place of a scalar too") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(2);
  for (const int64_t n : kElementCounts) {
    CAPTURE(n);
    Twin x = Twin::random(n, engine, 0.1f, 1.0f), total = Twin::poisoned(1);
    for (const Backend side : kBothBackends) IHD_ON_BACKEND(side, sum, n, x[side], total[side]);
    expect_close("sum", total, kExact);
  }
}

TEST_CASE("elementwise: column_sum") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(14);
  for (const auto& [rows, columns] :
       {std::pair<int64_t, int64_t>{1, 1}, {7, 13}, {192, 384}, {4097, 3}}) {
    CAPTURE(rows);
    CAPTURE(columns);
    Twin x = Twin::random(rows * columns, engine), totals = Twin::poisoned(columns);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, column_sum, rows, columns, x[side], totals[side]);
    }
    expect_close("column_sum", totals, kExact);
  }
}

TEST_CASE("elementwise: relu and sigmoid, forward and backward") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(3);
  for (const int64_t n : kElementCounts) {
    CAPTURE(n);
    Twin x = Twin::random(n, engine, -4.0f, 4.0f), dy = Twin::random(n, engine);
    Twin relu_y = Twin::poisoned(n), relu_dx = Twin::poisoned(n);
    Twin sigmoid_y = Twin::poisoned(n), sigmoid_dx = Twin::poisoned(n);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, relu_forward, n, x[side], relu_y[side]);
      IHD_ON_BACKEND(side, relu_backward, n, relu_y[side], dy[side], relu_dx[side]);
      IHD_ON_BACKEND(side, sigmoid_forward, n, x[side], sigmoid_y[side]);
      IHD_ON_BACKEND(side, sigmoid_backward, n, sigmoid_y[side], dy[side], sigmoid_dx[side]);
    }
    expect_close("relu_forward", relu_y, kExact);
    expect_close("relu_backward", relu_dx, kExact);
    expect_close("sigmoid_forward", sigmoid_y, kExact);
    expect_close("sigmoid_backward", sigmoid_dx, kExact);
  }
}

// ---- batch norm ----

TEST_CASE("batch norm: statistics, running statistics, running update") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(4);
  for (const auto& [rows, channels] : kBatchNormShapes) {
    CAPTURE(rows);
    CAPTURE(channels);
    // Mean far from zero relative to the spread: the case that breaks naive one-pass variance.
    Twin x = Twin::random(rows * channels, engine, 2.0f, 4.0f);
    Twin mean = Twin::poisoned(channels), invstd = Twin::poisoned(channels);
    Twin running_mean = Twin::random(channels, engine),
         running_var = Twin::random(channels, engine, 0.5f, 2.0f);
    Twin eval_mean = Twin::poisoned(channels), eval_invstd = Twin::poisoned(channels);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, batch_norm_statistics, rows, channels, x[side], 1e-5f, mean[side],
                     invstd[side]);
      IHD_ON_BACKEND(side, batch_norm_running_statistics, channels, running_mean[side],
                     running_var[side], 1e-5f, eval_mean[side], eval_invstd[side]);
    }
    // The update reads the statistics: give both sides the CPU's, so it is compared alone.
    Twin cpu_mean(mean.cpu_values()), cpu_invstd(invstd.cpu_values());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, batch_norm_update_running, rows, channels, cpu_mean[side],
                     cpu_invstd[side], 1e-5f, 0.1f, running_mean[side], running_var[side]);
    }
    expect_close("mean", mean, kReduced);
    expect_close("invstd", invstd, kReduced);
    expect_close("running mean statistics", eval_mean, kExact);
    expect_close("running invstd statistics", eval_invstd, kExact);
    expect_close("updated running_mean", running_mean, kExact);
    expect_close("updated running_var", running_var, kExact);
  }
}

TEST_CASE("batch norm: synchronised statistics' moments, centred terms, invstd") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(15);
  for (const auto& [rows, channels] : kBatchNormShapes) {
    CAPTURE(rows);
    CAPTURE(channels);
    Twin x = Twin::random(rows * channels, engine, 2.0f, 4.0f);
    Twin mean = Twin::poisoned(channels), squares = Twin::poisoned(channels);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, batch_norm_moments, rows, channels, x[side], mean[side], squares[side]);
    }
    expect_close("moments mean", mean, kReduced);
    expect_close("centred square sum", squares, kReduced);
    // The merges read the moments and the sums across replicas: both sides get the CPU's moments
    // and stand-in totals of 3 replicas of `rows` rows each.
    const int64_t total_rows = 3 * rows;
    Twin cpu_mean(mean.cpu_values()), cpu_squares(squares.cpu_values());
    Twin total_mean_terms = Twin::random(channels, engine, 2.0f * total_rows, 4.0f * total_rows);
    Twin global_mean = Twin::poisoned(channels), square_terms = Twin::poisoned(channels);
    Twin total_square_terms = Twin::random(channels, engine, 0.5f * total_rows, 2.0f * total_rows);
    Twin invstd = Twin::poisoned(channels);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, batch_norm_centred_terms, rows, total_rows, channels, cpu_mean[side],
                     cpu_squares[side], total_mean_terms[side], global_mean[side],
                     square_terms[side]);
      IHD_ON_BACKEND(side, batch_norm_invstd, total_rows, channels, total_square_terms[side], 1e-5f,
                     invstd[side]);
    }
    expect_close("global mean", global_mean, kExact);
    expect_close("square terms", square_terms, kExact);
    expect_close("global invstd", invstd, kExact);
  }
}

TEST_CASE("batch norm: apply and backward, with and without residual, ReLU, batch statistics") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(5);
  for (const auto& [rows, channels] : kBatchNormShapes) {
    for (const bool residual : {false, true}) {
      for (const bool relu : {false, true}) {
        for (const bool batch_statistics : {true, false}) {
          CAPTURE(rows);
          CAPTURE(channels);
          CAPTURE(residual);
          CAPTURE(relu);
          CAPTURE(batch_statistics);
          const int64_t n = rows * channels;
          Twin x = Twin::random(n, engine, -1.0f, 3.0f), dy = Twin::random(n, engine);
          Twin mean = Twin::random(channels, engine, 0.5f, 1.5f);
          Twin invstd = Twin::random(channels, engine, 0.5f, 2.0f);
          Twin gamma = Twin::random(channels, engine, 0.5f, 1.5f);
          Twin beta = Twin::random(channels, engine, -0.5f, 0.5f);
          Twin skip = Twin::random(n, engine);
          Twin y = Twin::poisoned(n), dx = Twin::poisoned(n), dresidual = Twin::poisoned(n);
          Twin dgamma = Twin::poisoned(channels), dbeta = Twin::poisoned(channels);
          for (const Backend side : kBothBackends) {
            IHD_ON_BACKEND(side, batch_norm_apply, rows, channels, x[side], mean[side],
                           invstd[side], gamma[side], beta[side], residual ? skip[side] : nullptr,
                           relu, y[side]);
          }
          // The backward reads y for its ReLU mask: both sides get the CPU's y.
          Twin cpu_y(y.cpu_values());
          for (const Backend side : kBothBackends) {
            IHD_ON_BACKEND(side, batch_norm_backward_reduce, rows, channels, x[side], cpu_y[side],
                           dy[side], mean[side], invstd[side], relu, dgamma[side], dbeta[side]);
          }
          // The input gradient reads the sums: both sides get the CPU's, taken as the sums of a
          // batch of 3 rows-row replicas (as synchronised batch norm passes them).
          Twin cpu_dgamma(dgamma.cpu_values()), cpu_dbeta(dbeta.cpu_values());
          for (const Backend side : kBothBackends) {
            IHD_ON_BACKEND(side, batch_norm_backward_input, rows, 3 * rows, channels, x[side],
                           cpu_y[side], dy[side], mean[side], invstd[side], gamma[side], relu,
                           batch_statistics, cpu_dgamma[side], cpu_dbeta[side], dx[side],
                           residual ? dresidual[side] : nullptr);
          }
          expect_close("y", y, kExact);
          expect_close("dx", dx, kReduced);
          expect_close("dgamma", dgamma, kReduced);
          expect_close("dbeta", dbeta, kReduced);
          if (residual) expect_close("dresidual", dresidual, kExact);
        }
      }
    }
  }
}

// ---- convolution ----

TEST_CASE("conv2d: forward (with and without bias), backward data, backward weight and bias") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(6);
  for (const kernels::Conv2dGeometry& g : kConvolutions) {
    CAPTURE(g.batch);
    CAPTURE(g.in_height);
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.kernel_height);
    CAPTURE(g.stride);
    const int64_t x_size = g.input_elements(), y_size = g.output_elements();
    const int64_t w_size = g.weight_elements();
    Twin x = Twin::random(x_size, engine), w = Twin::random(w_size, engine);
    Twin bias = Twin::random(g.out_channels, engine), dy = Twin::random(y_size, engine);
    Twin y = Twin::poisoned(y_size), y_biased = Twin::poisoned(y_size);
    Twin dx = Twin::poisoned(x_size), dw = Twin::poisoned(w_size);
    Twin dbias = Twin::poisoned(g.out_channels), dw_alone = Twin::poisoned(w_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, conv2d_forward, g, x[side], w[side], nullptr, y[side]);
      IHD_ON_BACKEND(side, conv2d_forward, g, x[side], w[side], bias[side], y_biased[side]);
      IHD_ON_BACKEND(side, conv2d_backward_data, g, dy[side], w[side], dx[side]);
      IHD_ON_BACKEND(side, conv2d_backward_weight, g, x[side], dy[side], dw[side], dbias[side]);
      IHD_ON_BACKEND(side, conv2d_backward_weight, g, x[side], dy[side], dw_alone[side], nullptr);
    }
    expect_close("y", y, kProduct);
    expect_close("y with bias", y_biased, kProduct);
    expect_close("dx", dx, kProduct);
    expect_close("dw", dw, kProduct);
    expect_close("dbias", dbias, kReduced);
    expect_close("dw without bias", dw_alone, kProduct);
  }
}

TEST_CASE("conv2d: fused inference forward (bias, residual, ReLU) on prepared weights") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(16);
  for (const kernels::Conv2dGeometry& g : kConvolutions) {
    CAPTURE(g.batch);
    CAPTURE(g.in_height);
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.kernel_height);
    CAPTURE(g.stride);
    const int64_t y_size = g.output_elements();
    Twin x = Twin::random(g.input_elements(), engine),
         w = Twin::random(g.weight_elements(), engine);
    Twin bias = Twin::random(g.out_channels, engine), residual = Twin::random(y_size, engine);
    // The prepared form is each backend's own (a oneDNN layout with a header, or OHWI on CUDA):
    // one buffer large enough for either.
    std::size_t bytes[2] = {0, 0};
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, conv2d_prepared_weights_bytes, g, &bytes[side == Backend::cuda]);
    }
    Twin prepared = Twin::poisoned(static_cast<int64_t>(std::max(bytes[0], bytes[1]) / 4 + 1));
    Twin y = Twin::poisoned(y_size), y_tail = Twin::poisoned(y_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, conv2d_prepare_weights, g, w[side], prepared[side]);
      IHD_ON_BACKEND(side, conv2d_forward_fused, g, x[side], prepared[side], bias[side], nullptr,
                     false, y[side]);
      IHD_ON_BACKEND(side, conv2d_forward_fused, g, x[side], prepared[side], bias[side],
                     residual[side], true, y_tail[side]);
    }
    expect_close("y with bias", y, kProduct);
    expect_close("relu(y + bias + residual)", y_tail, kProduct);
  }
}

// ---- linear ----

struct LinearShape {
  int batch, in_features, out_features;
};
constexpr LinearShape kLinearShapes[] = {{1, 7, 3}, {5, 2048, 512}, {4, 512, 1}, {33, 65, 6}};

TEST_CASE("linear: forward and backward, bias and dx optional") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(7);
  for (const auto& [batch, in_features, out_features] : kLinearShapes) {
    CAPTURE(batch);
    CAPTURE(in_features);
    CAPTURE(out_features);
    const int64_t x_size = static_cast<int64_t>(batch) * in_features;
    const int64_t y_size = static_cast<int64_t>(batch) * out_features;
    const int64_t w_size = static_cast<int64_t>(out_features) * in_features;
    Twin x = Twin::random(x_size, engine), w = Twin::random(w_size, engine);
    Twin bias = Twin::random(out_features, engine), dy = Twin::random(y_size, engine);
    Twin y = Twin::poisoned(y_size), y_plain = Twin::poisoned(y_size);
    Twin dx = Twin::poisoned(x_size), dw = Twin::poisoned(w_size),
         dbias = Twin::poisoned(out_features);
    Twin dw_alone = Twin::poisoned(w_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, linear_forward, batch, in_features, out_features, x[side], w[side],
                     bias[side], y[side]);
      IHD_ON_BACKEND(side, linear_forward, batch, in_features, out_features, x[side], w[side],
                     nullptr, y_plain[side]);
      IHD_ON_BACKEND(side, linear_backward, batch, in_features, out_features, x[side], w[side],
                     dy[side], dx[side], dw[side], dbias[side]);
      IHD_ON_BACKEND(side, linear_backward, batch, in_features, out_features, x[side], w[side],
                     dy[side], nullptr, dw_alone[side], nullptr);
    }
    expect_close("y", y, kProduct);
    expect_close("y without bias", y_plain, kProduct);
    expect_close("dx", dx, kProduct);
    expect_close("dw", dw, kProduct);
    expect_close("dbias", dbias, kExact);
    expect_close("dw alone", dw_alone, kProduct);
  }
}

// ---- pooling ----

TEST_CASE("max pool: forward and backward, ties go to the first maximum") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(8);
  std::uniform_int_distribution<int> level(-4, 4);
  for (const kernels::Pool2dGeometry& g : kMaxPools) {
    CAPTURE(g.in_height);
    CAPTURE(g.channels);
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    const int64_t x_size = g.input_elements(), y_size = g.output_elements();
    // Few distinct values, so that windows hold ties.
    std::vector<float> levels(static_cast<std::size_t>(x_size));
    for (float& value : levels) value = 0.5f * static_cast<float>(level(engine));
    Twin x(levels), dy = Twin::random(y_size, engine);
    Twin y = Twin::poisoned(y_size), dx = Twin::poisoned(x_size);
    for (const Backend side : kBothBackends)
      IHD_ON_BACKEND(side, max_pool2d_forward, g, x[side], y[side]);
    Twin cpu_y(y.cpu_values());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, max_pool2d_backward, g, x[side], cpu_y[side], dy[side], dx[side]);
    }
    expect_close("y", y, kExact);
    expect_close("dx", dx, kExact);
  }
}

TEST_CASE("global average pool: forward and backward") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(9);
  for (const auto& [batch, pixels, channels] : kGlobalPools) {
    CAPTURE(batch);
    CAPTURE(pixels);
    CAPTURE(channels);
    const int64_t x_size = batch * pixels * channels,
                  y_size = static_cast<int64_t>(batch) * channels;
    Twin x = Twin::random(x_size, engine), dy = Twin::random(y_size, engine);
    Twin y = Twin::poisoned(y_size), dx = Twin::poisoned(x_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, global_avg_pool_forward, batch, pixels, channels, x[side], y[side]);
      IHD_ON_BACKEND(side, global_avg_pool_backward, batch, pixels, channels, dy[side], dx[side]);
    }
    expect_close("y", y, kExact);
    expect_close("dx", dx, kExact);
  }
}

// ---- sequence ops ----

// Lengths of a batch: the first series full, the others drawn from 1..steps.
std::vector<int> random_lengths(int batch, int steps, std::mt19937& engine) {
  std::uniform_int_distribution<int> length(1, steps);
  std::vector<int> lengths(static_cast<std::size_t>(batch), steps);
  for (std::size_t n = 1; n < lengths.size(); ++n) lengths[n] = length(engine);
  return lengths;
}

// Random [batch, steps, width] values with NaN at the padded positions, which the kernels must
// never read.
Twin random_padded(const std::vector<int>& lengths, int steps, int64_t width,
                   std::mt19937& engine) {
  std::uniform_real_distribution<float> distribution(-1.0f, 1.0f);
  std::vector<float> values(lengths.size() * steps * width);
  for (std::size_t n = 0; n < lengths.size(); ++n) {
    for (int t = 0; t < steps; ++t) {
      for (int64_t k = 0; k < width; ++k) {
        values[(n * steps + t) * width + k] =
            t < lengths[n] ? distribution(engine) : std::numeric_limits<float>::quiet_NaN();
      }
    }
  }
  return Twin(values);
}

// One direction's weights and gradients as twins.
struct GruDirectionTwins {
  GruDirectionTwins(const kernels::GruGeometry& g, int64_t input_size, std::mt19937& engine)
      : weight_ih(Twin::random(g.gate_rows() * input_size, engine, -0.3f, 0.3f)),
        weight_hh(Twin::random(g.gate_rows() * g.hidden_size, engine, -0.3f, 0.3f)),
        bias_ih(Twin::random(g.gate_rows(), engine, -0.3f, 0.3f)),
        bias_hh(Twin::random(g.gate_rows(), engine, -0.3f, 0.3f)),
        grad_weight_ih(Twin::poisoned(weight_ih.size())),
        grad_weight_hh(Twin::poisoned(weight_hh.size())),
        grad_bias_ih(Twin::poisoned(g.gate_rows())),
        grad_bias_hh(Twin::poisoned(g.gate_rows())) {}
  kernels::GruDirectionWeights weights(Backend side) {
    return {weight_ih[side], weight_hh[side], bias_ih[side], bias_hh[side]};
  }
  kernels::GruDirectionGradients gradients(Backend side) {
    return {grad_weight_ih[side], grad_weight_hh[side], grad_bias_ih[side], grad_bias_hh[side]};
  }
  void expect_gradients_close(const std::string& direction) const {
    expect_close(direction + " dweight_ih", grad_weight_ih, kProduct);
    expect_close(direction + " dweight_hh", grad_weight_hh, kProduct);
    expect_close(direction + " dbias_ih", grad_bias_ih, kProduct);
    expect_close(direction + " dbias_hh", grad_bias_hh, kProduct);
  }

  Twin weight_ih, weight_hh, bias_ih, bias_hh;
  Twin grad_weight_ih, grad_weight_hh, grad_bias_ih, grad_bias_hh;
};

TEST_CASE("bidirectional GRU: forward (outputs and saved gates), backward with and without dx") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(15);
  for (const kernels::GruGeometry& g : kGrus) {
    CAPTURE(g.batch);
    CAPTURE(g.steps);
    CAPTURE(g.input_size);
    CAPTURE(g.hidden_size);
    const std::vector<int> lengths = random_lengths(g.batch, g.steps, engine);
    Twin x = random_padded(lengths, g.steps, g.input_size, engine);
    Twin dy = random_padded(lengths, g.steps, 2 * g.hidden_size, engine);
    GruDirectionTwins forward(g, g.input_size, engine), reverse(g, g.input_size, engine);
    Twin y = Twin::poisoned(g.output_elements());
    Twin saved = Twin::poisoned(2 * g.saved_elements_per_direction());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, gru_bidirectional_forward, g, lengths.data(), x[side],
                     forward.weights(side), reverse.weights(side), y[side], saved[side]);
    }
    expect_close("y", y, kProduct);
    expect_close("saved", saved, kProduct);
    // The backward reads the saved gates: both sides get the CPU's, so it is compared alone.
    Twin cpu_saved(saved.cpu_values());
    Twin dx = Twin::poisoned(g.input_elements());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, gru_bidirectional_backward, g, lengths.data(), x[side],
                     forward.weights(side), reverse.weights(side), cpu_saved[side], dy[side],
                     dx[side], forward.gradients(side), reverse.gradients(side));
    }
    expect_close("dx", dx, kProduct);
    forward.expect_gradients_close("forward");
    reverse.expect_gradients_close("reverse");
    GruDirectionTwins forward_alone(g, g.input_size, engine),
        reverse_alone(g, g.input_size, engine);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, gru_bidirectional_backward, g, lengths.data(), x[side],
                     forward_alone.weights(side), reverse_alone.weights(side), cpu_saved[side],
                     dy[side], nullptr, forward_alone.gradients(side),
                     reverse_alone.gradients(side));
    }
    forward_alone.expect_gradients_close("forward without dx");
    reverse_alone.expect_gradients_close("reverse without dx");
  }
}

TEST_CASE("temporal conv: forward (with and without bias), backward (dx and dbias optional)") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(16);
  for (const kernels::TemporalConvGeometry& g : kTemporalConvs) {
    CAPTURE(g.batch);
    CAPTURE(g.steps);
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.kernel);
    CAPTURE(g.dilation);
    const std::vector<int> lengths = random_lengths(g.batch, g.steps, engine);
    Twin x = random_padded(lengths, g.steps, g.in_channels, engine);
    Twin dy = random_padded(lengths, g.steps, g.out_channels, engine);
    Twin w = Twin::random(g.weight_elements(), engine), bias = Twin::random(g.out_channels, engine);
    Twin y = Twin::poisoned(g.output_elements()), y_plain = Twin::poisoned(g.output_elements());
    Twin dx = Twin::poisoned(g.input_elements()), dw = Twin::poisoned(g.weight_elements());
    Twin dbias = Twin::poisoned(g.out_channels), dw_alone = Twin::poisoned(g.weight_elements());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, temporal_conv1d_forward, g, lengths.data(), x[side], w[side], bias[side],
                     y[side]);
      IHD_ON_BACKEND(side, temporal_conv1d_forward, g, lengths.data(), x[side], w[side], nullptr,
                     y_plain[side]);
      IHD_ON_BACKEND(side, temporal_conv1d_backward, g, lengths.data(), x[side], w[side], dy[side],
                     dx[side], dw[side], dbias[side]);
      IHD_ON_BACKEND(side, temporal_conv1d_backward, g, lengths.data(), x[side], w[side], dy[side],
                     nullptr, dw_alone[side], nullptr);
    }
    expect_close("y", y, kProduct);
    expect_close("y without bias", y_plain, kProduct);
    expect_close("dx", dx, kProduct);
    expect_close("dw", dw, kProduct);
    expect_close("dbias", dbias, kExact);
    expect_close("dw alone", dw_alone, kProduct);
  }
}

// ---- loss ----

TEST_CASE("BCE with logits: forward and backward, with and without label and row weights") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(10);
  std::bernoulli_distribution positive(0.3), padded(0.4);
  for (const auto& [rows, labels] :
       {std::pair{1, 1}, std::pair{7, 6}, std::pair{256, 1}, std::pair{1000, 6}}) {
    for (const bool weighted : {false, true}) {
      CAPTURE(rows);
      CAPTURE(labels);
      CAPTURE(weighted);
      const int64_t n = static_cast<int64_t>(rows) * labels;
      std::vector<float> truth(static_cast<std::size_t>(n));
      for (float& t : truth) t = positive(engine) ? 1.0f : 0.0f;
      Twin logits = Twin::random(n, engine, -6.0f, 6.0f), targets(truth);
      Twin pos_weight = Twin::random(labels, engine, 0.5f, 3.0f);
      Twin class_weight = Twin::random(labels, engine, 0.5f, 2.0f);
      // Row weights as a padded sequence batch gives them, 0 or 1, with the 0 rows' logits NaN
      // (never read); and positive row weights of any size. Row 0 is real.
      std::vector<float> mask(rows), logit_values = logits.cpu_values();
      std::uniform_real_distribution<float> any_weight(0.25f, 2.0f);
      for (int row = 0; row < rows; ++row) {
        mask[row] = row > 0 && padded(engine) ? 0.0f : 1.0f;
        for (int k = 0; mask[row] == 0.0f && k < labels; ++k) {
          logit_values[row * labels + k] = std::numeric_limits<float>::quiet_NaN();
        }
      }
      Twin masked_logits(logit_values), steps(mask);
      Twin row_weight = Twin::random(rows, engine, 0.25f, 2.0f);
      Twin grad_loss = Twin::random(1, engine, 0.5f, 2.0f);
      Twin loss = Twin::poisoned(1), grad_logits = Twin::poisoned(n);
      Twin masked_loss = Twin::poisoned(1), masked_grad = Twin::poisoned(n);
      Twin row_loss = Twin::poisoned(1), row_grad = Twin::poisoned(n);
      for (const Backend side : kBothBackends) {
        const float* pos = weighted ? pos_weight[side] : nullptr;
        const float* cls = weighted ? class_weight[side] : nullptr;
        IHD_ON_BACKEND(side, bce_with_logits_forward, rows, labels, logits[side], targets[side],
                       pos, cls, nullptr, loss[side]);
        IHD_ON_BACKEND(side, bce_with_logits_backward, rows, labels, logits[side], targets[side],
                       pos, cls, nullptr, grad_loss[side], grad_logits[side]);
        IHD_ON_BACKEND(side, bce_with_logits_forward, rows, labels, masked_logits[side],
                       targets[side], pos, cls, steps[side], masked_loss[side]);
        IHD_ON_BACKEND(side, bce_with_logits_backward, rows, labels, masked_logits[side],
                       targets[side], pos, cls, steps[side], grad_loss[side], masked_grad[side]);
        IHD_ON_BACKEND(side, bce_with_logits_forward, rows, labels, logits[side], targets[side],
                       pos, cls, row_weight[side], row_loss[side]);
        IHD_ON_BACKEND(side, bce_with_logits_backward, rows, labels, logits[side], targets[side],
                       pos, cls, row_weight[side], grad_loss[side], row_grad[side]);
      }
      expect_close("loss", loss, kExact);
      expect_close("grad_logits", grad_logits, kExact);
      expect_close("loss, padded rows masked", masked_loss, kExact);
      expect_close("grad_logits, padded rows masked", masked_grad, kExact);
      expect_close("loss, row weights", row_loss, kExact);
      expect_close("grad_logits, row weights", row_grad, kExact);
    }
  }
}

// ---- optimizers ----

TEST_CASE("SGD: plain, momentum (first and later steps), Nesterov, weight decay") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(11);
  kernels::SgdHyper plain, momentum, nesterov;
  momentum.momentum = 0.9f;
  momentum.dampening = 0.1f;
  momentum.weight_decay = 1e-4f;
  nesterov.momentum = 0.9f;
  nesterov.nesterov = true;
  for (const kernels::SgdHyper& hyper : {plain, momentum, nesterov}) {
    for (const bool first_step : {true, false}) {
      for (const int64_t n : {int64_t{5}, int64_t{1000003}}) {
        CAPTURE(hyper.momentum);
        CAPTURE(hyper.nesterov);
        CAPTURE(first_step);
        CAPTURE(n);
        Twin param = Twin::random(n, engine), grad = Twin::random(n, engine);
        Twin buffer = Twin::random(n, engine);
        for (const Backend side : kBothBackends) {
          IHD_ON_BACKEND(side, sgd_update, n, param[side], grad[side],
                         hyper.momentum != 0.0f ? buffer[side] : nullptr, hyper, first_step);
        }
        expect_close("param", param, kExact);
        if (hyper.momentum != 0.0f) expect_close("momentum buffer", buffer, kExact);
      }
    }
  }
}

TEST_CASE("Adam and AdamW: first and tenth step") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(12);
  for (const bool decoupled : {false, true}) {
    for (const int64_t step : {int64_t{1}, int64_t{10}}) {
      CAPTURE(decoupled);
      CAPTURE(step);
      kernels::AdamHyper hyper;
      hyper.weight_decay = 0.01f;
      hyper.decoupled_weight_decay = decoupled;
      hyper.step = step;
      const int64_t n = 1000003;
      Twin param = Twin::random(n, engine), grad = Twin::random(n, engine);
      Twin exp_avg = Twin::random(n, engine, -0.1f, 0.1f);
      Twin exp_avg_sq = Twin::random(n, engine, 0.001f, 0.01f);
      for (const Backend side : kBothBackends) {
        IHD_ON_BACKEND(side, adam_update, n, param[side], grad[side], exp_avg[side],
                       exp_avg_sq[side], hyper);
      }
      expect_close("param", param, kExact);
      expect_close("exp_avg", exp_avg, kExact);
      expect_close("exp_avg_sq", exp_avg_sq, kExact);
    }
  }
}

// Multi-tensor updates: parameters of uneven sizes (one element, odd, empty, across the CUDA
// kernel's 8192-element chunks, a large one) and enough small ones to need a second launch (256
// parameters per launch); two steps, so that momentum's first and later steps both run. The CUDA
// results must also equal, bit for bit, the per-parameter CUDA kernels' on copies of the inputs.
TEST_CASE("SGD, Adam and AdamW over many parameters in one call (multi-tensor)") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(13);
  std::vector<int64_t> sizes = {1, 7, 0, 4097, 8192, 8193, 1000003};
  for (int i = 0; i < 300; ++i) sizes.push_back(1 + i % 13);
  const auto same_cuda_bits = [](const Twin& a, const Twin& b) {
    const std::vector<float> x = a.cuda_values_with_guard(), y = b.cuda_values_with_guard();
    return std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
  };
  enum class Rule { sgd_momentum, sgd_nesterov, adam, adamw };
  for (const Rule rule : {Rule::sgd_momentum, Rule::sgd_nesterov, Rule::adam, Rule::adamw}) {
    CAPTURE(static_cast<int>(rule));
    kernels::SgdHyper sgd;
    sgd.momentum = 0.9f;
    sgd.dampening = rule == Rule::sgd_momentum ? 0.1f : 0.0f;
    sgd.weight_decay = 1e-4f;
    sgd.nesterov = rule == Rule::sgd_nesterov;
    kernels::AdamHyper adam;
    adam.weight_decay = 0.01f;
    adam.decoupled_weight_decay = rule == Rule::adamw;
    const bool is_sgd = rule == Rule::sgd_momentum || rule == Rule::sgd_nesterov;
    // state_a: the momentum buffer or exp_avg; state_b: exp_avg_sq. The *_alone copies take the
    // per-parameter CUDA updates.
    std::vector<Twin> param, grad, state_a, state_b, param_alone, state_a_alone, state_b_alone;
    for (const int64_t n : sizes) {
      param.push_back(Twin::random(n, engine));
      grad.push_back(Twin::random(n, engine));
      state_a.push_back(Twin::random(n, engine, -0.1f, 0.1f));
      state_b.push_back(Twin::random(n, engine, 0.001f, 0.01f));
      param_alone.emplace_back(param.back().cpu_values());
      state_a_alone.emplace_back(state_a.back().cpu_values());
      state_b_alone.emplace_back(state_b.back().cpu_values());
    }
    for (int step = 1; step <= 2; ++step) {
      adam.step = step;
      for (const Backend side : kBothBackends) {
        std::vector<kernels::ParameterSlice> slices(sizes.size());
        for (std::size_t k = 0; k < sizes.size(); ++k) {
          slices[k].n = sizes[k];
          slices[k].param = param[k][side];
          slices[k].grad = grad[k][side];
          (is_sgd ? slices[k].momentum_buffer : slices[k].exp_avg) = state_a[k][side];
          if (!is_sgd) slices[k].exp_avg_sq = state_b[k][side];
          slices[k].first_step = step == 1;
        }
        const int count = static_cast<int>(slices.size());
        if (is_sgd) {
          IHD_ON_BACKEND(side, sgd_update_many, slices.data(), count, sgd);
        } else {
          IHD_ON_BACKEND(side, adam_update_many, slices.data(), count, adam);
        }
      }
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        const Backend gpu = Backend::cuda;
        if (is_sgd) {
          kernels::sgd_update<Backend::cuda>(sizes[k], param_alone[k][gpu], grad[k][gpu],
                                             state_a_alone[k][gpu], sgd, step == 1);
        } else {
          kernels::adam_update<Backend::cuda>(sizes[k], param_alone[k][gpu], grad[k][gpu],
                                              state_a_alone[k][gpu], state_b_alone[k][gpu], adam);
        }
      }
    }
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      CAPTURE(k);
      CAPTURE(sizes[k]);
      expect_close("param", param[k], kExact);
      expect_close(is_sgd ? "momentum buffer" : "exp_avg", state_a[k], kExact);
      if (!is_sgd) expect_close("exp_avg_sq", state_b[k], kExact);
      CHECK(same_cuda_bits(param[k], param_alone[k]));
      CHECK(same_cuda_bits(state_a[k], state_a_alone[k]));
      CHECK(same_cuda_bits(state_b[k], state_b_alone[k]));
    }
  }
}

}  // namespace
}  // namespace ihd::cuda_test
