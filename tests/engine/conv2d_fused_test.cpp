// The fused inference convolution of the CPU backend (kernels/conv2d.h: conv2d_prepare_weights,
// conv2d_forward_fused) against the reference composed by hand: the im2col + BLAS convolution
// with its bias, then the residual added and max(0, .) taken in plain loops. Over the ResNet
// shapes (Winograd-sized maps included), with and without residual and ReLU, on 1 and 2 threads.
// Outputs sit between sentinels that must survive. Without oneDNN the fast side is the reference
// too.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "conv2d_test_geometry.h"
#include "kernels/conv2d.h"
#include "kernels/cpu/conv2d_reference.h"
#include "kernels/cpu/threads.h"

namespace ihd::kernels::cpu {
namespace {

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

Prepared prepare(const Conv2dGeometry& g, const std::vector<float>& w) {
  std::size_t bytes = 0;
  conv2d_prepared_weights_bytes<Backend::cpu>(g, &bytes);
  REQUIRE(bytes >= w.size() * sizeof(float));
  Prepared prepared{
      std::unique_ptr<void, Prepared::Free>(std::aligned_alloc(64, (bytes + 63) / 64 * 64))};
  conv2d_prepare_weights<Backend::cpu>(g, w.data(), prepared.bytes.get());
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

void check_fused(const Conv2dGeometry& g, bool with_residual, bool relu) {
  std::mt19937 generator(11);
  const std::vector<float> x = random_values(g.input_elements(), generator);
  const std::vector<float> w = random_values(g.weight_elements(), generator);
  const std::vector<float> bias = random_values(g.out_channels, generator);
  const std::vector<float> residual = random_values(g.output_elements(), generator);
  std::vector<float> expected(g.output_elements());
  conv2d_forward_reference(g, x.data(), w.data(), bias.data(), expected.data());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (with_residual) expected[i] += residual[i];
    if (relu) expected[i] = std::max(expected[i], 0.0f);
  }

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

}  // namespace

TEST_CASE(
    "CPU fused convolution (bias, residual, ReLU) on prepared weights matches the reference") {
  const Conv2dGeometry geometries[] = {
      geometry(2, 15, 3, 8, 7, 2),    // the ResNet stem, small
      geometry(2, 16, 16, 16, 3, 1),  // 3x3 on a Winograd-sized map
      geometry(3, 8, 16, 16, 3, 1),   // 3x3 on a small map (direct)
      geometry(2, 9, 8, 16, 3, 2),    // strided 3x3, odd map
      geometry(2, 8, 16, 64, 1, 1),   // pointwise expansion (bottleneck conv3)
      geometry(2, 9, 24, 40, 1, 2),   // strided 1x1 (the projection shortcut)
      geometry(4, 4, 2, 4, 1, 2),     // fewer channels than a SIMD block
  };
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Conv2dGeometry& g : geometries) {
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
          check_fused(g, with_residual, relu);
        }
      }
    }
  }
}

}  // namespace ihd::kernels::cpu
