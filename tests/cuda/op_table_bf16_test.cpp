// The CPU-versus-CUDA op table for bfloat16 (mixed precision): every bfloat16 overload of
// kernels/kernels.h runs on both backends from the same random bfloat16 inputs (never all
// zeros), outputs poisoned with NaN, compared by normalised error sum (a - b)^2 / sum a^2 of the
// float32 values. Both backends compute in float32 from the bfloat16 values and round each stored
// result once, to nearest even, so what differs is only the float32 arithmetic before that
// rounding. Shapes as in op_table_test.cpp (batch 1, odd sizes, channel counts that are not
// multiples of 8, real ResNet-50 layer shapes at batch 1-2), plus views that start one element
// into their buffer, which the vectorised (16-byte) CUDA paths must hand to their one-element
// fallback.
//
// Tolerances:
//   kIdentical 0: max pooling only moves values (and adds the same gradients in the same order);
//   kExact 1e-12: the same formula on the same float32 values, rounded the same way (conversions,
//     add, the average pool);
//   kReduced 1e-10: float32 per-channel statistics and parameter gradients (sums in another
//     order);
//   kOneRounding 1e-5: bfloat16 outputs whose float32 value differs in its last bits between the
//     backends (fused multiply-adds, sums of up to ~6,000 products in another order, cuDNN's
//     tensor-core accumulation): where the two float32 values straddle a rounding boundary the
//     bfloat16 results differ by one step (2^-8 relative, 1.5e-5 squared). Such flips are rare,
//     expected error well below 1e-7; even one extra bfloat16 rounding of every element inside
//     cuDNN would stay near 1e-6, while a wrong result is of order 1.
#include "op_table_shapes.h"
#include "twin.h"

namespace ihd::cuda_test {
namespace {

constexpr double kIdentical = 0.0;
constexpr double kExact = 1e-12;
constexpr double kReduced = 1e-10;
constexpr double kOneRounding = 1e-5;

// ---- elementwise ----

// 8 and 4097: one whole 16-byte vector, and whole vectors plus a tail of one.
constexpr int64_t kElementCounts[] = {1, 7, 8, 4097, 1000003};

TEST_CASE("bf16 elementwise: convert both ways, add") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(21);
  for (const int64_t n : kElementCounts) {
    CAPTURE(n);
    // Any float32 (not bfloat16-representable): the conversion's rounding is what is compared.
    Twin wide = Twin::random(n, engine, -3.0f, 3.0f);
    BfTwin a = BfTwin::random(n, engine), b = BfTwin::random(n, engine, 0.5f, 2.0f);
    BfTwin narrowed = BfTwin::poisoned(n), sum = BfTwin::poisoned(n);
    Twin widened = Twin::poisoned(n);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, convert, n, wide[side], narrowed[side]);
      IHD_ON_BACKEND(side, convert, n, a[side], widened[side]);
      IHD_ON_BACKEND(side, add, n, a[side], b[side], sum[side]);
    }
    expect_close("convert float32 -> bfloat16", narrowed, kExact);
    expect_close("convert bfloat16 -> float32", widened, kExact);
    expect_close("add", sum, kExact);
  }
}

TEST_CASE("bf16 elementwise: rounding ties go to the even neighbour") {
  IHD_SKIP_WITHOUT_GPU();
  // Exactly halfway between two bfloat16 values (the low 16 bits are 0x8000), with even and odd
  // lower neighbours, both signs; just below and above halfway; a bfloat16 subnormal.
  const uint32_t words[] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0xbf818000u, 0x3f807fffu,
                            0x3f808001u, 0x47fe8000u, 0x00418000u, 0x3f800000u};
  std::vector<float> values;
  for (const uint32_t word : words) {
    float value;
    std::memcpy(&value, &word, sizeof value);
    values.push_back(value);
  }
  const auto n = static_cast<int64_t>(values.size());
  Twin wide(values);
  BfTwin narrowed = BfTwin::poisoned(n);
  for (const Backend side : kBothBackends)
    IHD_ON_BACKEND(side, convert, n, wide[side], narrowed[side]);
  expect_close("convert float32 -> bfloat16 at ties", narrowed, kIdentical);
  CHECK(narrowed.cpu_values()[0].bits == 0x3f80);  // the host's rounding, for reference
  CHECK(narrowed.cpu_values()[1].bits == 0x3f82);
}

TEST_CASE("bf16 elementwise: views one element into their buffer") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(22);
  const int64_t n = 4097;
  Twin wide = Twin::random(n + 1, engine);
  BfTwin a = BfTwin::random(n + 1, engine), b = BfTwin::random(n, engine);
  BfTwin narrowed = BfTwin::poisoned(n), sum = BfTwin::poisoned(n);
  Twin widened = Twin::poisoned(n);
  for (const Backend side : kBothBackends) {
    IHD_ON_BACKEND(side, convert, n, wide[side] + 1, narrowed[side]);
    IHD_ON_BACKEND(side, convert, n, a[side] + 1, widened[side]);
    IHD_ON_BACKEND(side, add, n, a[side] + 1, b[side], sum[side]);
  }
  expect_close("convert float32 -> bfloat16", narrowed, kExact);
  expect_close("convert bfloat16 -> float32", widened, kExact);
  expect_close("add", sum, kExact);
}

// ---- batch norm ----

TEST_CASE("bf16 batch norm: statistics and moments") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(23);
  for (const auto& [rows, channels] : kBatchNormShapes) {
    CAPTURE(rows);
    CAPTURE(channels);
    // Mean far from zero relative to the spread, as in the float32 table.
    BfTwin x = BfTwin::random(rows * channels, engine, 2.0f, 4.0f);
    Twin mean = Twin::poisoned(channels), invstd = Twin::poisoned(channels);
    Twin moments_mean = Twin::poisoned(channels), squares = Twin::poisoned(channels);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, batch_norm_statistics, rows, channels, x[side], 1e-5f, mean[side],
                     invstd[side]);
      IHD_ON_BACKEND(side, batch_norm_moments, rows, channels, x[side], moments_mean[side],
                     squares[side]);
    }
    expect_close("mean", mean, kReduced);
    expect_close("invstd", invstd, kReduced);
    expect_close("moments mean", moments_mean, kReduced);
    expect_close("centred square sum", squares, kReduced);
  }
}

// Runs apply and backward on both sides; `offset` elements into the activation buffers (1: the
// CUDA kernels must take their one-element path).
void check_batch_norm_apply_and_backward(int64_t rows, int channels, bool residual, bool relu,
                                         bool batch_statistics, int64_t offset,
                                         std::mt19937& engine) {
  const int64_t n = rows * channels;
  BfTwin x = BfTwin::random(n + offset, engine, -1.0f, 3.0f);
  BfTwin dy = BfTwin::random(n + offset, engine);
  BfTwin skip = BfTwin::random(n + offset, engine);
  Twin mean = Twin::random(channels, engine, 0.5f, 1.5f);
  Twin invstd = Twin::random(channels, engine, 0.5f, 2.0f);
  Twin gamma = Twin::random(channels, engine, 0.5f, 1.5f);
  Twin beta = Twin::random(channels, engine, -0.5f, 0.5f);
  BfTwin y = BfTwin::poisoned(n), dx = BfTwin::poisoned(n), dresidual = BfTwin::poisoned(n);
  Twin dgamma = Twin::poisoned(channels), dbeta = Twin::poisoned(channels);
  for (const Backend side : kBothBackends) {
    IHD_ON_BACKEND(side, batch_norm_apply, rows, channels, x[side] + offset, mean[side],
                   invstd[side], gamma[side], beta[side], residual ? skip[side] + offset : nullptr,
                   relu, y[side]);
  }
  // The backward reads y for its ReLU mask: both sides get the CPU's y.
  BfTwin cpu_y(y.cpu_values());
  for (const Backend side : kBothBackends) {
    IHD_ON_BACKEND(side, batch_norm_backward_reduce, rows, channels, x[side] + offset, cpu_y[side],
                   dy[side] + offset, mean[side], invstd[side], relu, dgamma[side], dbeta[side]);
  }
  // The input gradient reads the sums: both sides get the CPU's (total rows: as if 3 replicas).
  Twin cpu_dgamma(dgamma.cpu_values()), cpu_dbeta(dbeta.cpu_values());
  for (const Backend side : kBothBackends) {
    IHD_ON_BACKEND(side, batch_norm_backward_input, rows, 3 * rows, channels, x[side] + offset,
                   cpu_y[side], dy[side] + offset, mean[side], invstd[side], gamma[side], relu,
                   batch_statistics, cpu_dgamma[side], cpu_dbeta[side], dx[side],
                   residual ? dresidual[side] : nullptr);
  }
  expect_close("y", y, kOneRounding);
  expect_close("dx", dx, kOneRounding);
  expect_close("dgamma", dgamma, kReduced);
  expect_close("dbeta", dbeta, kReduced);
  if (residual) expect_close("dresidual", dresidual, kExact);
}

TEST_CASE(
    "bf16 batch norm: apply and backward, with and without residual, ReLU, batch statistics") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(24);
  for (const auto& [rows, channels] : kBatchNormShapes) {
    for (const bool residual : {false, true}) {
      for (const bool relu : {false, true}) {
        for (const bool batch_statistics : {true, false}) {
          CAPTURE(rows);
          CAPTURE(channels);
          CAPTURE(residual);
          CAPTURE(relu);
          CAPTURE(batch_statistics);
          check_batch_norm_apply_and_backward(rows, channels, residual, relu, batch_statistics, 0,
                                              engine);
        }
      }
    }
  }
}

TEST_CASE("bf16 batch norm: views one element into their buffer") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(25);
  for (const auto& [rows, channels] : {BatchNormShape{245, 13}, BatchNormShape{2 * 28 * 28, 128}}) {
    CAPTURE(rows);
    CAPTURE(channels);
    check_batch_norm_apply_and_backward(rows, channels, true, true, true, 1, engine);
  }
}

// ---- convolution ----

TEST_CASE("bf16 conv2d: forward, backward data, backward weight") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(26);
  for (const kernels::Conv2dGeometry& g : kConvolutions) {
    CAPTURE(g.batch);
    CAPTURE(g.in_height);
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.kernel_height);
    CAPTURE(g.stride);
    const int64_t x_size = g.input_elements(), y_size = g.output_elements();
    const int64_t w_size = g.weight_elements();
    BfTwin x = BfTwin::random(x_size, engine), w = BfTwin::random(w_size, engine);
    BfTwin dy = BfTwin::random(y_size, engine);
    BfTwin y = BfTwin::poisoned(y_size), dx = BfTwin::poisoned(x_size);
    BfTwin dw = BfTwin::poisoned(w_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, conv2d_forward, g, x[side], w[side], y[side]);
      IHD_ON_BACKEND(side, conv2d_backward_data, g, dy[side], w[side], dx[side]);
      IHD_ON_BACKEND(side, conv2d_backward_weight, g, x[side], dy[side], dw[side]);
    }
    expect_close("y", y, kOneRounding);
    expect_close("dx", dx, kOneRounding);
    expect_close("dw", dw, kOneRounding);
  }
}

// ---- pooling ----

TEST_CASE("bf16 max pool: forward and backward, ties go to the first maximum") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(27);
  std::uniform_int_distribution<int> level(-4, 4);
  for (const kernels::Pool2dGeometry& g : kMaxPools) {
    CAPTURE(g.in_height);
    CAPTURE(g.channels);
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    const int64_t x_size = g.input_elements(), y_size = g.output_elements();
    // Few distinct values (exact in bfloat16, none zero), so that windows hold ties.
    std::vector<bfloat16> levels(static_cast<std::size_t>(x_size));
    for (bfloat16& value : levels)
      value = to_bfloat16(0.5f * static_cast<float>(level(engine)) + 0.25f);
    BfTwin x(levels), dy = BfTwin::random(y_size, engine);
    BfTwin y = BfTwin::poisoned(y_size), dx = BfTwin::poisoned(x_size);
    for (const Backend side : kBothBackends)
      IHD_ON_BACKEND(side, max_pool2d_forward, g, x[side], y[side]);
    BfTwin cpu_y(y.cpu_values());
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, max_pool2d_backward, g, x[side], cpu_y[side], dy[side], dx[side]);
    }
    expect_close("y", y, kIdentical);
    expect_close("dx", dx, kIdentical);
  }
}

TEST_CASE("bf16 global average pool: bfloat16 in, float32 features, and backward") {
  IHD_SKIP_WITHOUT_GPU();
  std::mt19937 engine(28);
  for (const auto& [batch, pixels, channels] : kGlobalPools) {
    CAPTURE(batch);
    CAPTURE(pixels);
    CAPTURE(channels);
    const int64_t x_size = batch * pixels * channels,
                  y_size = static_cast<int64_t>(batch) * channels;
    BfTwin x = BfTwin::random(x_size, engine);
    Twin dy = Twin::random(y_size, engine);
    Twin y = Twin::poisoned(y_size);
    BfTwin dx = BfTwin::poisoned(x_size);
    for (const Backend side : kBothBackends) {
      IHD_ON_BACKEND(side, global_avg_pool_forward, batch, pixels, channels, x[side], y[side]);
      IHD_ON_BACKEND(side, global_avg_pool_backward, batch, pixels, channels, dy[side], dx[side]);
    }
    expect_close("y", y, kExact);
    expect_close("dx", dx, kExact);
  }
}

}  // namespace
}  // namespace ihd::cuda_test
