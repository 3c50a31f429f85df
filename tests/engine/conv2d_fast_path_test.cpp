// The CPU convolution as the engine runs it (oneDNN where built in) against the im2col + BLAS
// reference, forward, backward data and backward weight, on random inputs over odd shapes, strides,
// paddings, 1x1 and 7x7/2 kernels, with and without bias, on 1 and 2 threads. Outputs sit between
// sentinel values that must survive (no writes out of bounds). Without oneDNN both sides are the
// reference and the test passes trivially.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
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

// An output buffer of `count` floats between two guard bands of sentinels.
struct GuardedOutput {
  explicit GuardedOutput(std::size_t count) : storage(count + 2 * kGuardFloats, kSentinel) {}
  float* data() { return storage.data() + kGuardFloats; }
  std::vector<float> values() const {
    return {storage.begin() + kGuardFloats, storage.end() - kGuardFloats};
  }
  bool guards_intact() const {
    const auto intact = [](auto first, auto last) {
      return std::all_of(first, last, [](float v) { return v == kSentinel; });
    };
    return intact(storage.begin(), storage.begin() + kGuardFloats) &&
           intact(storage.end() - kGuardFloats, storage.end());
  }
  std::vector<float> storage;
};

// max |fast - reference| / max(1, max |reference|).
double normalised_error(const std::vector<float>& fast, const std::vector<float>& reference) {
  REQUIRE(fast.size() == reference.size());
  double worst = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    worst = std::max(worst, std::abs(double(fast[i]) - reference[i]));
    scale = std::max(scale, std::abs(double(reference[i])));
  }
  return worst / scale;
}

void check_against_reference(const Conv2dGeometry& g, bool with_bias) {
  std::mt19937 generator(7);
  const std::size_t x_count = std::size_t(g.batch) * g.in_height * g.in_width * g.in_channels;
  const std::size_t y_count =
      std::size_t(g.batch) * g.out_height() * g.out_width() * g.out_channels;
  const std::size_t w_count = std::size_t(g.out_channels) * g.patch_size();
  const std::vector<float> x = random_values(x_count, generator);
  const std::vector<float> w = random_values(w_count, generator);
  const std::vector<float> bias = random_values(g.out_channels, generator);
  const std::vector<float> dy = random_values(y_count, generator);
  const float* bias_data = with_bias ? bias.data() : nullptr;
  constexpr double kTolerance = 2e-5;

  GuardedOutput y(y_count), y_reference(y_count);
  conv2d_forward<Backend::cpu>(g, x.data(), w.data(), bias_data, y.data());
  conv2d_forward_reference(g, x.data(), w.data(), bias_data, y_reference.data());
  CHECK(y.guards_intact());
  CHECK(normalised_error(y.values(), y_reference.values()) < kTolerance);

  GuardedOutput dx(x_count), dx_reference(x_count);
  conv2d_backward_data<Backend::cpu>(g, dy.data(), w.data(), dx.data());
  conv2d_backward_data_reference(g, dy.data(), w.data(), dx_reference.data());
  CHECK(dx.guards_intact());
  CHECK(normalised_error(dx.values(), dx_reference.values()) < kTolerance);

  GuardedOutput dw(w_count), dw_reference(w_count);
  GuardedOutput dbias(g.out_channels), dbias_reference(g.out_channels);
  conv2d_backward_weight<Backend::cpu>(g, x.data(), dy.data(), dw.data(),
                                       with_bias ? dbias.data() : nullptr);
  conv2d_backward_weight_reference(g, x.data(), dy.data(), dw_reference.data(),
                                   with_bias ? dbias_reference.data() : nullptr);
  CHECK(dw.guards_intact());
  CHECK(normalised_error(dw.values(), dw_reference.values()) < kTolerance);
  if (with_bias) {
    CHECK(dbias.guards_intact());
    CHECK(normalised_error(dbias.values(), dbias_reference.values()) < kTolerance);
  }
}

}  // namespace

TEST_CASE("CPU convolution fast path matches the im2col + BLAS reference") {
  const Conv2dGeometry geometries[] = {
      square_kernel_geometry(2, 9, 7, 3, 5, 3, 1, 1),     // odd sizes, few channels
      square_kernel_geometry(2, 13, 11, 3, 16, 7, 2, 3),  // the ResNet stem, small
      square_kernel_geometry(3, 6, 6, 8, 16, 1, 1, 0),    // pointwise
      square_kernel_geometry(2, 8, 8, 24, 40, 1, 2,
                             0),  // 1x1 stride 2, even input: right padding -1
      square_kernel_geometry(2, 9, 9, 24, 40, 1, 2,
                             0),  // 1x1 stride 2, odd input (the ResNet shortcut)
      square_kernel_geometry(4, 8, 8, 2, 4, 1, 2,
                             0),  // 1x1 stride 2, fewer channels than a SIMD block
      square_kernel_geometry(4, 4, 4, 4, 8, 1, 2, 0),  //   (tiny ResNet-18's shortcuts)
      square_kernel_geometry(4, 2, 2, 8, 16, 1, 2, 0),
      square_kernel_geometry(1, 11, 9, 17, 33, 3, 2, 1),  // 3x3 stride 2, odd channels
      square_kernel_geometry(2, 12, 12, 64, 64, 3, 1,
                             1),  // a ResNet 3x3 (Winograd where available)
      square_kernel_geometry(2, 13, 15, 20, 36, 3, 1, 1),  // 3x3 stride 1, odd sizes and channels
      square_kernel_geometry(2, 7, 7, 32, 16, 3, 2, 0),    // no padding, stride 2
      square_kernel_geometry(2, 4, 4, 1, 1, 4, 1, 0),      // kernel as large as the input
  };
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Conv2dGeometry& g : geometries) {
      for (const bool with_bias : {false, true}) {
        CAPTURE(threads);
        CAPTURE(g.in_height);
        CAPTURE(g.in_width);
        CAPTURE(g.in_channels);
        CAPTURE(g.out_channels);
        CAPTURE(g.kernel_height);
        CAPTURE(g.stride);
        CAPTURE(with_bias);
        check_against_reference(g, with_bias);
      }
    }
  }
}

}  // namespace ihd::kernels::cpu
