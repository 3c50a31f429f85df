// The sequence ops and layers (gru_bidirectional, temporal_conv1d; GRU, TemporalConv1d) beyond
// their finite-difference gradients (tests/ops): padding is invisible (a series padded
// into a batch, its padding NaN, gives its unpadded outputs and input gradients), the order of
// slices matters, the reverse direction is the forward one run on the reversed series, the
// layers carry PyTorch's names, and outputs and every gradient match PyTorch's float64 run of a
// 2-layer bidirectional torch.nn.GRU on packed sequences and a dilated torch.nn.Conv1d
// (tests/fixtures/engine/sequence_reference.safetensors, from make_sequence_reference.py).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "engine/layers.h"
#include "engine/safetensors.h"
#include "test_util.h"

namespace ihd {
namespace {
using testing::random_tensor;
using testing::relative_error;

// Float32 computation against PyTorch's float64 truth: each output and gradient tensor within
// this relative error ||ours - truth|| / ||truth|| (measured: about 1e-7, see the printed table).
constexpr double kTorchParityTolerance = 1e-5;

// A series' real positions run the same arithmetic whatever surrounds them, so padded and alone
// (and the reverse direction against the forward one on the reversed series) agree to the last
// bits: the gate and tap arithmetic is per element and each GEMM row reads only its own row. The
// only difference left is the GEMM's rounding when its blocking depends on the number of rows
// (OpenBLAS's AVX-512 kernels on Intel Xeon: measured 6e-8; exactly 0 on AMD Zen 5); a padded
// value leaking into a real position would show as NaN or a difference of order 1.
constexpr double kSameArithmetic = 1e-6;

// An op over a padded batch, as the tests run both: x and lengths to the output.
using SequenceOp = std::function<Tensor(const Tensor&, const std::vector<int>&)>;

// Values of x[n, t, :] for t in [0, length), as one vector.
std::vector<float> real_rows(const Tensor& x, int n, int length) {
  const std::vector<float> values = x.to_vector();
  const int64_t row_size = x.size(2), steps = x.size(1);
  return {values.begin() + n * steps * row_size, values.begin() + (n * steps + length) * row_size};
}

// Sequence `series` (its real steps only) copied, reversed in time when `reverse`, into position
// n of a batch of `steps` steps whose other positions are already filled.
void place_series(const std::vector<float>& series, int64_t row_size, bool reverse, int n,
                  Tensor& batch) {
  const int64_t length = static_cast<int64_t>(series.size()) / row_size;
  float* target = batch.data() + n * batch.size(1) * row_size;
  for (int64_t t = 0; t < length; ++t) {
    const int64_t source = reverse ? length - 1 - t : t;
    std::copy(series.begin() + source * row_size, series.begin() + (source + 1) * row_size,
              target + t * row_size);
  }
}

// Runs `op` on one series alone and padded (NaN padding) into a batch beside two others, with
// the loss sum(y * R), R equal on the series' real positions; checks that the series' outputs
// and input gradients agree, that its padded outputs and gradients are 0, and that no weight
// gradient saw the NaN.
void check_padding_is_invisible(const SequenceOp& op, int channels, const Module& module) {
  const int length = 5, steps = 9;
  Random g(31);
  Tensor series = random_tensor(Shape{1, length, channels}, g);
  Tensor batch = random_tensor(Shape{3, steps, channels}, g);
  const std::vector<int> batch_lengths{steps, length, 2};
  float* values = batch.data();
  for (int n = 0; n < 3; ++n) {
    for (int64_t i = batch_lengths[n] * channels; i < steps * channels; ++i) {
      values[n * steps * channels + i] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  place_series(series.to_vector(), channels, false, 1, batch);
  series.set_requires_grad(true);
  batch.set_requires_grad(true);

  Tensor alone = op(series, {length});
  const int64_t width = alone.size(2);
  Tensor projection_alone = random_tensor(alone.shape(), g);
  Tensor projection_batch = random_tensor(Shape{3, steps, width}, g);
  place_series(projection_alone.to_vector(), width, false, 1, projection_batch);
  sum(mul(alone, projection_alone)).backward();
  module.zero_grad();
  Tensor padded = op(batch, batch_lengths);
  sum(mul(padded, projection_batch)).backward();

  CHECK(testing::max_abs_difference(real_rows(padded, 1, length), alone.to_vector()) <=
        kSameArithmetic);
  CHECK(testing::max_abs_difference(real_rows(batch.grad(), 1, length),
                                    series.grad().to_vector()) <= kSameArithmetic);
  const std::vector<float> outputs = padded.to_vector(), grads = batch.grad().to_vector();
  for (int n = 0; n < 3; ++n) {
    for (int t = batch_lengths[n]; t < steps; ++t) {
      CAPTURE(n);
      CAPTURE(t);
      for (int64_t k = 0; k < width; ++k) CHECK(outputs[(n * steps + t) * width + k] == 0.0f);
      for (int64_t k = 0; k < channels; ++k) CHECK(grads[(n * steps + t) * channels + k] == 0.0f);
    }
  }
  for (const auto& [name, parameter] : module.named_parameters()) {
    CAPTURE(name);
    for (const float value : parameter.grad().to_vector()) REQUIRE(std::isfinite(value));
  }
}

// Outputs of `op` on a series and on the same series in reverse slice order, the latter put back
// in the original order: an op that ignored the order would give the same values.
double order_effect(const SequenceOp& op, int channels) {
  const int length = 6;
  Random g(32);
  Tensor series = random_tensor(Shape{1, length, channels}, g);
  Tensor reversed = Tensor::empty(series.shape());
  place_series(series.to_vector(), channels, true, 0, reversed);
  const Tensor y = op(series, {length});
  Tensor y_reversed = op(reversed, {length});
  Tensor y_restored = Tensor::empty(y.shape());
  place_series(y_reversed.to_vector(), y.size(2), true, 0, y_restored);
  return testing::max_abs_difference(y.to_vector(), y_restored.to_vector());
}

TEST_CASE("GRU (2 layers) and TemporalConv1d: padding is invisible to a series' real positions") {
  Random g(33);
  GRU gru(6, 5, 2, g);
  check_padding_is_invisible(
      [&](const Tensor& x, const std::vector<int>& lengths) { return gru.forward(x, lengths); }, 6,
      gru);
  for (const int dilation : {1, 2, 4}) {
    CAPTURE(dilation);
    TemporalConv1d conv(6, 4, dilation == 1 ? 3 : 5, dilation, true, g);
    check_padding_is_invisible(
        [&](const Tensor& x, const std::vector<int>& lengths) { return conv.forward(x, lengths); },
        6, conv);
  }
}

TEST_CASE("GRU and TemporalConv1d: reversing the slice order changes the outputs") {
  NoGradGuard no_grad;
  Random g(34);
  GRU gru(4, 3, 1, g);
  CHECK(order_effect([&](const Tensor& x,
                         const std::vector<int>& lengths) { return gru.forward(x, lengths); },
                     4) > 1e-3);
  TemporalConv1d conv(4, 3, 3, 2, true, g);
  CHECK(order_effect([&](const Tensor& x,
                         const std::vector<int>& lengths) { return conv.forward(x, lengths); },
                     4) > 1e-3);
}

TEST_CASE("gru_bidirectional: the reverse direction is the forward one on the reversed series") {
  NoGradGuard no_grad;
  Random g(35);
  const int steps = 6, channels = 3, hidden = 4;
  const std::vector<int> lengths{6, 3};
  const GruWeights weights{
      random_tensor(Shape{3 * hidden, channels}, g), random_tensor(Shape{3 * hidden, hidden}, g),
      random_tensor(Shape{3 * hidden}, g), random_tensor(Shape{3 * hidden}, g)};
  Tensor x = random_tensor(Shape{2, steps, channels}, g);
  Tensor x_reversed = Tensor::zeros(x.shape());
  for (int n = 0; n < 2; ++n) {
    place_series(real_rows(x, n, lengths[n]), channels, true, n, x_reversed);
  }
  const std::vector<float> y = gru_bidirectional(x, lengths, weights, weights).to_vector();
  const std::vector<float> y_reversed =
      gru_bidirectional(x_reversed, lengths, weights, weights).to_vector();
  double worst = 0.0;
  for (int n = 0; n < 2; ++n) {
    for (int t = 0; t < lengths[n]; ++t) {
      const int mirrored = lengths[n] - 1 - t;
      for (int j = 0; j < hidden; ++j) {
        const float reverse_state = y[(n * steps + t) * 2 * hidden + hidden + j];
        const float forward_state_reversed = y_reversed[(n * steps + mirrored) * 2 * hidden + j];
        worst = std::max(worst, std::abs(double(reverse_state) - forward_state_reversed));
      }
    }
  }
  CHECK(worst <= kSameArithmetic);
}

TEST_CASE("GRU and TemporalConv1d: PyTorch's parameter names, shapes and initial ranges") {
  Random g(36);
  GRU gru(7, 3, 2, g);
  std::vector<std::string> expected;
  for (const std::string layer : {"l0", "l1"}) {
    for (const std::string suffix : {"", "_reverse"}) {
      for (const std::string name : {"weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_"}) {
        expected.push_back(name + layer + suffix);
      }
    }
  }
  const auto parameters = gru.named_parameters();
  REQUIRE(parameters.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(parameters[i].first == expected[i]);
    for (const float value : parameters[i].second.to_vector()) {
      CHECK(std::abs(value) <= 1.0f / std::sqrt(3.0f));
    }
  }
  CHECK(gru.layers[0].forward.weight_ih.shape() == Shape{9, 7});
  CHECK(gru.layers[1].reverse.weight_ih.shape() == Shape{9, 6});
  CHECK(gru.layers[1].reverse.weight_hh.shape() == Shape{9, 3});
  TemporalConv1d conv(4, 5, 3, 2, true, g);
  const auto conv_parameters = conv.named_parameters();
  REQUIRE(conv_parameters.size() == 2);
  CHECK(conv_parameters[0].first == "weight");
  CHECK(conv_parameters[0].second.shape() == Shape{5, 3, 4});
  CHECK(conv_parameters[1].first == "bias");
}

TEST_CASE("sequence ops: bad lengths and shapes are refused with the reason") {
  Random g(37);
  GRU gru(3, 2, 1, g);
  Tensor x = random_tensor(Shape{2, 4, 3}, g);
  CHECK_THROWS_WITH_AS(gru.forward(x, {4, 5}), doctest::Contains("outside 1..4"), Error);
  CHECK_THROWS_WITH_AS(gru.forward(x, {0, 1}), doctest::Contains("outside 1..4"), Error);
  CHECK_THROWS_WITH_AS(gru.forward(x, {4}), doctest::Contains("1 lengths for a batch of 2"), Error);
  TemporalConv1d even(3, 2, 4, 1, true, g);
  CHECK_THROWS_WITH_AS(even.forward(x, {4, 4}), doctest::Contains("must be odd"), Error);
  TemporalConv1d wrong_channels(5, 2, 3, 1, true, g);
  CHECK_THROWS_WITH_AS(wrong_channels.forward(x, {4, 4}), doctest::Contains("3 channels"), Error);
}

// ---- parity with PyTorch ----

const SafetensorsFile& sequence_reference() {
  static const SafetensorsFile file =
      read_safetensors(IHD_TEST_FIXTURES_DIR "/engine/sequence_reference.safetensors");
  return file;
}

std::vector<int> lengths_of(const SafetensorsEntry& entry) {
  const Tensor tensor = entry.to_tensor();
  return {tensor.data_i64(), tensor.data_i64() + tensor.numel()};
}

// Checks one result against PyTorch's float64 truth and prints the error.
void check_against_torch(const std::string& key, const Tensor& ours) {
  const SafetensorsEntry& truth = sequence_reference().at(key);
  REQUIRE(ours.shape() == truth.shape);
  const double error = relative_error(ours.to_vector(), truth.to_doubles());
  std::printf("torch parity %-32s relative error %.3g\n", key.c_str(), error);
  CAPTURE(key);
  CHECK(error <= kTorchParityTolerance);
}

// PyTorch's Conv1d weight [O, C, k] as ours [O, k, C], or back (swap = the two last axes).
Tensor swap_last_axes(const Tensor& tensor) {
  const int64_t outer = tensor.size(0), rows = tensor.size(1), columns = tensor.size(2);
  const std::vector<float> values = tensor.to_vector();
  Tensor swapped = Tensor::empty(Shape{outer, columns, rows});
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < columns; ++c) {
        swapped.data()[(o * columns + c) * rows + r] = values[(o * rows + r) * columns + c];
      }
    }
  }
  return swapped;
}

TEST_CASE("GRU (2 layers, bidirectional, packed sequences): outputs and gradients match PyTorch") {
  const SafetensorsFile& reference = sequence_reference();
  Random g(38);
  GRU gru(5, 4, 2, g);
  for (auto [name, parameter] : gru.named_parameters()) {
    parameter.copy_from(reference.at("gru." + name).to_tensor());
  }
  Tensor x = reference.at("gru.x").to_tensor().set_requires_grad(true);
  Tensor y = gru.forward(x, lengths_of(reference.at("gru.lengths")));
  sum(mul(y, reference.at("gru.projection").to_tensor())).backward();
  check_against_torch("gru.output", y);
  check_against_torch("gru.grad.x", x.grad());
  for (const auto& [name, parameter] : gru.named_parameters()) {
    check_against_torch("gru.grad." + name, parameter.grad());
  }
}

TEST_CASE("TemporalConv1d (kernel 5, dilation 2, masked): outputs and gradients match PyTorch") {
  const SafetensorsFile& reference = sequence_reference();
  Random g(39);
  TemporalConv1d conv(6, 4, 5, 2, true, g);
  conv.weight.copy_from(swap_last_axes(reference.at("conv.weight").to_tensor()));
  conv.bias.copy_from(reference.at("conv.bias").to_tensor());
  Tensor x = reference.at("conv.x").to_tensor().set_requires_grad(true);
  Tensor y = conv.forward(x, lengths_of(reference.at("conv.lengths")));
  sum(mul(y, reference.at("conv.projection").to_tensor())).backward();
  check_against_torch("conv.output", y);
  check_against_torch("conv.grad.x", x.grad());
  check_against_torch("conv.grad.weight", swap_last_axes(conv.weight.grad()));
  check_against_torch("conv.grad.bias", conv.bias.grad());
}

}  // namespace
}  // namespace ihd
