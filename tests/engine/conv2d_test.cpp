// conv2d, max_pool2d and global_avg_pool forward values against naive loops in double precision.
#include <limits>

#include "test_util.h"

namespace ihd {
using testing::random_tensor;

namespace {

// Direct convolution, NHWC input, OHWI weight, accumulated in double.
std::vector<float> naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                                int padding) {
  const int n = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
  const int o = w.size(0), kh = w.size(1), kw = w.size(2);
  const int oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1;
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector();
  const std::vector<float> bv = bias.defined() ? bias.to_vector() : std::vector<float>(o, 0.0f);
  std::vector<float> y(static_cast<std::size_t>(n) * oh * ow * o);
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j)
        for (int k = 0; k < o; ++k) {
          double total = bv[k];
          for (int u = 0; u < kh; ++u)
            for (int v = 0; v < kw; ++v) {
              const int ih = i * stride - padding + u, iw = j * stride - padding + v;
              if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
              for (int ch = 0; ch < c; ++ch) {
                total += double(xv[((b * h + ih) * wd + iw) * c + ch]) *
                         wv[((k * kh + u) * kw + v) * c + ch];
              }
            }
          y[((b * oh + i) * ow + j) * o + k] = static_cast<float>(total);
        }
  return y;
}

}  // namespace

TEST_CASE("conv2d forward matches a direct convolution") {
  struct Case {
    Shape input, weight;
    int stride, padding;
  };
  const Case cases[] = {{{2, 9, 7, 3}, {5, 3, 3, 3}, 1, 1},  {{1, 11, 11, 3}, {4, 7, 7, 3}, 2, 3},
                        {{3, 6, 6, 8}, {16, 1, 1, 8}, 1, 0}, {{2, 7, 7, 6}, {4, 1, 1, 6}, 2, 0},
                        {{1, 5, 8, 2}, {3, 3, 3, 2}, 2, 1},  {{2, 4, 4, 1}, {1, 4, 4, 1}, 1, 0}};
  for (const Case& c : cases) {
    CAPTURE(c.input.to_string());
    Random g(11);
    const Tensor x = random_tensor(c.input, g), w = random_tensor(c.weight, g);
    const Tensor bias = random_tensor(Shape{c.weight[0]}, g);
    const Tensor y = conv2d(x, w, bias, {c.stride, c.padding});
    CHECK(testing::max_abs_difference(y.to_vector(),
                                      naive_conv2d(x, w, bias, c.stride, c.padding)) < 1e-4);
  }
}

TEST_CASE("conv2d rejects mismatched channels with a clear message") {
  const Tensor x = Tensor::zeros(Shape{1, 4, 4, 3}), w = Tensor::zeros(Shape{2, 3, 3, 4});
  CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), {}), doctest::Contains("input has 3 channels"),
                       Error);
}

TEST_CASE("max_pool2d 3x3/2 pad 1 and global_avg_pool on hand-computed values") {
  // One 4x4 image, one channel, values 0..15 row-major: windows are clipped at the border.
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i) values[i] = static_cast<float>(i);
  const Tensor x = Tensor::from_vector(Shape{1, 4, 4, 1}, values);
  CHECK(max_pool2d(x, MaxPool2dOptions{}).to_vector() == std::vector<float>{5, 7, 13, 15});
  CHECK(global_avg_pool(x).item() == doctest::Approx(7.5));
  // Negative values: padding must act as -infinity, not 0.
  const Tensor negative = scale(x, -1.0f);
  CHECK(max_pool2d(negative, MaxPool2dOptions{}).to_vector() == std::vector<float>{0, -1, -4, -5});
}

}  // namespace ihd
