// oneDNN's bfloat16 convolution primitives (called directly: the CPU backend runs them only where
// the CPU has bfloat16 instructions, kernels/cpu/conv2d_path.h) against the widen-compute-round
// reference (operands widened, the float32 convolution, each result rounded once; here with the
// im2col + BLAS float32 convolution, whose products are exact, where the fallback takes
// conv2d.h's float32 path, which may be Winograd): forward, backward data and backward weight,
// over the shapes of conv2d_fast_path_test.cpp, on 1 and 2 threads.
// Skipped, with a message saying so, where oneDNN has no bfloat16 kernel (a build without oneDNN,
// or AVX2 only: it has them with avx512_bf16 or AMX, and emulates them on other AVX-512 CPUs).
// A geometry oneDNN declines for a direction (the strided 1x1 weight gradient) is left out.
//
// Tolerance, per output: the product of two bfloat16 values is exact in float32, so both sides sum
// the same exact terms in float32, in different orders: their float32 sums differ by at most about
// K 2^-24 S (K terms, S = sum of |terms|; K < 2^10 here, so 2^-14 S), and rounding each to bfloat16
// can then differ by one unit in the last place: 2^-7 |y| at most (8 significant bits; an output
// of 21.75 and its neighbour 21.625 are 2^-7.4 |y| apart, seen with oneDNN's AVX-512 emulation of
// the bfloat16 instructions). So |fast - reference| <= 2^-7 |reference| + 2^-14 S, S being the
// same convolution of the absolute values.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "bfloat16_vectors.h"
#include "conv2d_test_geometry.h"
#include "kernels/bfloat16.h"
#include "kernels/cpu/conv2d_onednn.h"
#include "kernels/cpu/conv2d_reference.h"
#include "kernels/cpu/threads.h"

namespace ihd::kernels::cpu {
namespace {

using testing::rounded;
using testing::widened;

constexpr std::size_t kGuard = 64;
const bfloat16 kSentinel = to_bfloat16(12345.0f);

std::vector<bfloat16> random_values(int64_t count, std::mt19937& generator) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<bfloat16> values(static_cast<std::size_t>(count));
  for (bfloat16& value : values) value = to_bfloat16(normal(generator));
  return values;
}

// The reference steps: widen, the im2col + BLAS float32 convolution, round once.
std::vector<bfloat16> forward_widened(const Conv2dGeometry& g, const std::vector<bfloat16>& x,
                                      const std::vector<bfloat16>& w) {
  std::vector<float> y(static_cast<std::size_t>(g.output_elements()));
  conv2d_forward_reference(g, widened(x).data(), widened(w).data(), nullptr, y.data());
  return rounded(y);
}
std::vector<bfloat16> backward_data_widened(const Conv2dGeometry& g,
                                            const std::vector<bfloat16>& dy,
                                            const std::vector<bfloat16>& w) {
  std::vector<float> dx(static_cast<std::size_t>(g.input_elements()));
  conv2d_backward_data_reference(g, widened(dy).data(), widened(w).data(), dx.data());
  return rounded(dx);
}
std::vector<bfloat16> backward_weight_widened(const Conv2dGeometry& g,
                                              const std::vector<bfloat16>& x,
                                              const std::vector<bfloat16>& dy) {
  std::vector<float> dw(static_cast<std::size_t>(g.weight_elements()));
  conv2d_backward_weight_reference(g, widened(x).data(), widened(dy).data(), dw.data(), nullptr);
  return rounded(dw);
}

std::vector<bfloat16> absolute(const std::vector<bfloat16>& values) {
  std::vector<bfloat16> result(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    result[i] = to_bfloat16(std::abs(to_float(values[i])));
  }
  return result;
}

// Counts the outputs outside the tolerance, and checks the guards around the fast output.
int outside_tolerance(const std::vector<bfloat16>& fast_with_guards,
                      const std::vector<bfloat16>& reference,
                      const std::vector<bfloat16>& absolute_sums) {
  int outside = 0;
  for (std::size_t i = 0; i < kGuard; ++i) {
    outside += fast_with_guards[i].bits != kSentinel.bits;
    outside += fast_with_guards[kGuard + reference.size() + i].bits != kSentinel.bits;
  }
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double fast = to_float(fast_with_guards[kGuard + i]), ref = to_float(reference[i]);
    const double bound =
        std::ldexp(std::abs(ref), -7) + std::ldexp(to_float(absolute_sums[i]), -14) * 1.01;
    outside += !(std::abs(fast - ref) <= bound);
  }
  return outside;
}

#ifdef IHD_WITH_ONEDNN
// Checks each direction oneDNN runs for g; counts those it ran in `ran`.
void check_against_reference(const Conv2dGeometry& g, int& ran) {
  std::mt19937 generator(9);
  const auto x = random_values(g.input_elements(), generator);
  const auto w = random_values(g.weight_elements(), generator);
  const auto dy = random_values(g.output_elements(), generator);
  const auto x_abs = absolute(x), w_abs = absolute(w), dy_abs = absolute(dy);
  const auto guarded = [](int64_t n) {
    return std::vector<bfloat16>(static_cast<std::size_t>(n) + 2 * kGuard, kSentinel);
  };

  auto y = guarded(g.output_elements());
  if (onednn_conv2d_forward(g, x.data(), w.data(), y.data() + kGuard)) {
    ++ran;
    CHECK(outside_tolerance(y, forward_widened(g, x, w), forward_widened(g, x_abs, w_abs)) == 0);
  }
  auto dx = guarded(g.input_elements());
  if (onednn_conv2d_backward_data(g, dy.data(), w.data(), dx.data() + kGuard)) {
    ++ran;
    CHECK(outside_tolerance(dx, backward_data_widened(g, dy, w),
                            backward_data_widened(g, dy_abs, w_abs)) == 0);
  }
  auto dw = guarded(g.weight_elements());
  if (onednn_conv2d_backward_weight(g, x.data(), dy.data(), dw.data() + kGuard)) {
    ++ran;
    CHECK(outside_tolerance(dw, backward_weight_widened(g, x, dy),
                            backward_weight_widened(g, x_abs, dy_abs)) == 0);
  }
}
#endif

}  // namespace

TEST_CASE("CPU bfloat16 convolutions on oneDNN's bfloat16 primitives match the widened reference") {
#ifndef IHD_WITH_ONEDNN
  MESSAGE("SKIPPED: this build has no oneDNN: the bfloat16 convolutions run the reference itself");
#else
  if (!onednn_has_bfloat16_convolutions()) {
    MESSAGE(
        "SKIPPED: oneDNN has no bfloat16 convolution on this CPU (no AVX-512): the bfloat16 "
        "convolutions run the reference itself");
    return;
  }
  const Conv2dGeometry geometries[] = {
      square_kernel_geometry(2, 9, 7, 3, 5, 3, 1, 1),      // odd sizes, few channels
      square_kernel_geometry(2, 13, 11, 3, 16, 7, 2, 3),   // the ResNet stem, small
      square_kernel_geometry(3, 6, 6, 8, 16, 1, 1, 0),     // pointwise
      square_kernel_geometry(2, 9, 9, 24, 40, 1, 2, 0),    // 1x1 stride 2 (the ResNet shortcut)
      square_kernel_geometry(1, 11, 9, 17, 33, 3, 2, 1),   // 3x3 stride 2, odd channels
      square_kernel_geometry(2, 12, 12, 64, 64, 3, 1, 1),  // a ResNet 3x3
      square_kernel_geometry(2, 13, 15, 20, 28, 3, 1, 1),  // 3x3 stride 1, odd sizes and channels
  };
  int ran = 0;
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Conv2dGeometry& g : geometries) {
      CAPTURE(threads);
      CAPTURE(g.in_height);
      CAPTURE(g.in_width);
      CAPTURE(g.in_channels);
      CAPTURE(g.out_channels);
      CAPTURE(g.kernel_height);
      CAPTURE(g.stride);
      check_against_reference(g, ran);
    }
  }
  // All three directions of every geometry, but the strided 1x1 weight gradient (twice).
  CHECK(ran >= 2 * (3 * 7 - 1));
#endif
}

}  // namespace ihd::kernels::cpu
