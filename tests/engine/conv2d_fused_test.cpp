// The fused inference convolution of the CPU backend (kernels/conv2d.h: conv2d_prepare_weights,
// conv2d_forward_fused) against the reference composed by hand: the im2col + BLAS convolution
// with its bias, then the residual added and max(0, .) taken in plain loops. Over the ResNet
// shapes (Winograd-sized maps included), with and without residual and ReLU, on 1 and 2 threads.
// Outputs sit between sentinels that must survive. Without oneDNN the fast side is the reference
// too. The bfloat16 form (oneDNN's bfloat16 post-ops where the CPU has them, else the widened
// reference) against the same reference on the widened operands, rounded once; tolerance per
// output as in conv2d_bf16_fast_path_test.cpp: 2^-7 |reference| (one rounding apart) + 2^-14 S
// (float32 sums in another order), S the same sum over the absolute values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "bfloat16_vectors.h"
#include "conv2d_test_geometry.h"
#include "kernels/bfloat16.h"
#include "kernels/conv2d.h"
#include "kernels/cpu/conv2d_onednn.h"
#include "kernels/cpu/conv2d_reference.h"
#include "kernels/cpu/threads.h"

namespace ihd::kernels::cpu {
namespace {

using testing::rounded;
using testing::widened;

constexpr float kSentinel = 12345.0f;
constexpr std::size_t kGuardFloats = 64;

std::vector<float> random_values(std::size_t count, std::mt19937& generator) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

// A square map and kernel, padded to keep the size at stride 1.
Conv2dGeometry geometry(int batch, int size, int in_channels, int out_channels, int kernel,
                        int stride) {
  return square_kernel_geometry(batch, size, size, in_channels, out_channels, kernel, stride,
                                kernel / 2);
}

struct Prepared {
  struct Free {
    void operator()(void* block) const { std::free(block); }
  };
  std::unique_ptr<void, Free> bytes;
};

// What a check runs: the CPU backend as it dispatches, or oneDNN's primitives called directly
// (which the backend runs in bfloat16 only where the CPU has bfloat16 instructions).
enum class Path { backend, onednn };

template <typename T>
Prepared prepare(const Conv2dGeometry& g, const std::vector<T>& w, Path path = Path::backend) {
  constexpr bool bfloat16_weights = std::is_same_v<T, bfloat16>;
  std::size_t bytes = 0;
  if (path == Path::backend)
    conv2d_prepared_weights_bytes<Backend::cpu>(g, bfloat16_weights, &bytes);
#ifdef IHD_WITH_ONEDNN
  if (path == Path::onednn) bytes = onednn_prepared_weights_bytes(g, bfloat16_weights);
#endif
  REQUIRE(bytes >= w.size() * sizeof(T));
  Prepared prepared{
      std::unique_ptr<void, Prepared::Free>(std::aligned_alloc(64, (bytes + 63) / 64 * 64))};
  if (path == Path::backend)
    conv2d_prepare_weights<Backend::cpu>(g, w.data(), prepared.bytes.get());
#ifdef IHD_WITH_ONEDNN
  if (path == Path::onednn) onednn_prepare_weights(g, w.data(), prepared.bytes.get());
#endif
  return prepared;
}

// max |fast - reference| / max(1, max |reference|), the measure of conv2d_fast_path_test.cpp.
double normalised_error(const float* fast, const std::vector<float>& reference) {
  double worst = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    worst = std::max(worst, std::abs(double(fast[i]) - reference[i]));
    scale = std::max(scale, std::abs(double(reference[i])));
  }
  return worst / scale;
}

std::vector<float> absolute(std::vector<float> values) {
  for (float& value : values) value = std::abs(value);
  return values;
}

// The reference in float32: conv(x, w) + bias (+ residual), then max(0, .) when relu (on absolute
// values without ReLU: the tolerance's S).
std::vector<float> reference(const Conv2dGeometry& g, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& bias,
                             const std::vector<float>* residual, bool relu) {
  std::vector<float> y(g.output_elements());
  conv2d_forward_reference(g, x.data(), w.data(), bias.data(), y.data());
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (residual) y[i] += (*residual)[i];
    if (relu) y[i] = std::max(y[i], 0.0f);
  }
  return y;
}

void check_fused(const Conv2dGeometry& g, bool with_residual, bool relu) {
  std::mt19937 generator(11);
  const std::vector<float> x = random_values(g.input_elements(), generator);
  const std::vector<float> w = random_values(g.weight_elements(), generator);
  const std::vector<float> bias = random_values(g.out_channels, generator);
  const std::vector<float> residual = random_values(g.output_elements(), generator);
  const std::vector<float> expected =
      reference(g, x, w, bias, with_residual ? &residual : nullptr, relu);

  const Prepared prepared = prepare(g, w);
  std::vector<float> y(g.output_elements() + 2 * kGuardFloats, kSentinel);
  conv2d_forward_fused<Backend::cpu>(g, x.data(), prepared.bytes.get(), bias.data(),
                                     with_residual ? residual.data() : nullptr, relu,
                                     y.data() + kGuardFloats);
  CHECK(std::all_of(y.begin(), y.begin() + kGuardFloats, [](float v) { return v == kSentinel; }));
  CHECK(std::all_of(y.end() - kGuardFloats, y.end(), [](float v) { return v == kSentinel; }));
  // Float32 throughout, summation order aside (Winograd: ~1e-6), as the unfused fast path.
  CHECK(normalised_error(y.data() + kGuardFloats, expected) < 2e-5);
  if (relu) {
    CHECK(std::none_of(y.begin() + kGuardFloats, y.end() - kGuardFloats,
                       [](float v) { return v < 0.0f; }));
  }
}

// The bfloat16 fused forward on `path`: the backend's (oneDNN's primitives where the CPU has
// bfloat16 instructions, else the widened reference) or oneDNN's; nothing is checked where oneDNN
// declines the geometry.
void check_fused_bfloat16(const Conv2dGeometry& g, bool with_residual, bool relu, Path path) {
  std::mt19937 generator(13);
  const std::vector<bfloat16> x = rounded(random_values(g.input_elements(), generator));
  const std::vector<bfloat16> w = rounded(random_values(g.weight_elements(), generator));
  const std::vector<float> bias = random_values(g.out_channels, generator);
  const std::vector<bfloat16> residual = rounded(random_values(g.output_elements(), generator));
  const std::vector<float> residual32 = widened(residual), residual_abs = absolute(residual32);
  const std::vector<float> expected =
      reference(g, widened(x), widened(w), bias, with_residual ? &residual32 : nullptr, relu);
  const std::vector<float> sums =
      reference(g, absolute(widened(x)), absolute(widened(w)), absolute(bias),
                with_residual ? &residual_abs : nullptr, false);

  const Prepared prepared = prepare(g, w, path);
  const bfloat16 sentinel = to_bfloat16(kSentinel);
  std::vector<bfloat16> y(g.output_elements() + 2 * kGuardFloats, sentinel);
  const bfloat16* residual_or_null = with_residual ? residual.data() : nullptr;
  if (path == Path::backend) {
    conv2d_forward_fused<Backend::cpu>(g, x.data(), prepared.bytes.get(), bias.data(),
                                       residual_or_null, relu, y.data() + kGuardFloats);
  }
#ifdef IHD_WITH_ONEDNN
  if (path == Path::onednn &&
      !onednn_conv2d_forward_fused(g, x.data(), prepared.bytes.get(), bias.data(), residual_or_null,
                                   relu, y.data() + kGuardFloats)) {
    return;
  }
#endif
  const auto is_sentinel = [&](bfloat16 v) { return v.bits == sentinel.bits; };
  CHECK(std::all_of(y.begin(), y.begin() + kGuardFloats, is_sentinel));
  CHECK(std::all_of(y.end() - kGuardFloats, y.end(), is_sentinel));
  int outside = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double fast = to_float(y[kGuardFloats + i]);
    const double bound = std::ldexp(std::abs(expected[i]), -7) + std::ldexp(sums[i], -14) * 1.01;
    outside += !(std::abs(fast - expected[i]) <= bound) || (relu && fast < 0.0);
  }
  CHECK(outside == 0);
}

const Conv2dGeometry kGeometries[] = {
    geometry(2, 15, 3, 8, 7, 2),    // the ResNet stem, small
    geometry(2, 16, 16, 16, 3, 1),  // 3x3 on a Winograd-sized map
    geometry(3, 8, 16, 16, 3, 1),   // 3x3 on a small map (direct)
    geometry(2, 9, 8, 16, 3, 2),    // strided 3x3, odd map
    geometry(2, 8, 16, 64, 1, 1),   // pointwise expansion (bottleneck conv3)
    geometry(2, 9, 24, 40, 1, 2),   // strided 1x1 (the projection shortcut)
    geometry(4, 4, 2, 4, 1, 2),     // fewer channels than a SIMD block
};

// check(g, with_residual, relu) over the geometries, with and without residual and ReLU, on 1 and
// 2 threads.
template <typename Check>
void over_every_form(Check check) {
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Conv2dGeometry& g : kGeometries) {
      for (const bool with_residual : {false, true}) {
        for (const bool relu : {false, true}) {
          CAPTURE(threads);
          CAPTURE(g.in_height);
          CAPTURE(g.in_channels);
          CAPTURE(g.out_channels);
          CAPTURE(g.kernel_height);
          CAPTURE(g.stride);
          CAPTURE(with_residual);
          CAPTURE(relu);
          check(g, with_residual, relu);
        }
      }
    }
  }
}

}  // namespace

TEST_CASE(
    "CPU fused convolution (bias, residual, ReLU) on prepared weights matches the reference") {
  over_every_form(check_fused);
}

TEST_CASE(
    "CPU bfloat16 fused convolution on prepared weights matches the widened reference, rounded "
    "once") {
  over_every_form([](const Conv2dGeometry& g, bool with_residual, bool relu) {
    check_fused_bfloat16(g, with_residual, relu, Path::backend);
  });
}

// oneDNN's bfloat16 fused primitive called directly, wherever oneDNN has bfloat16 kernels (also
// where it emulates the instructions, and the backend runs the widened reference instead).
TEST_CASE("oneDNN's bfloat16 fused convolution matches the widened reference, rounded once") {
#ifndef IHD_WITH_ONEDNN
  MESSAGE("SKIPPED: this build has no oneDNN");
#else
  if (!onednn_has_bfloat16_convolutions()) {
    MESSAGE("SKIPPED: oneDNN has no bfloat16 convolution on this CPU (no AVX-512)");
    return;
  }
  over_every_form([](const Conv2dGeometry& g, bool with_residual, bool relu) {
    check_fused_bfloat16(g, with_residual, relu, Path::onednn);
  });
#endif
}

}  // namespace ihd::kernels::cpu
