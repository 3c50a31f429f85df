// binary_cross_entropy_with_logits' row weights beyond their finite-difference gradients
// (tests/ops): a flattened padded batch whose padded rows weigh 0 (and hold NaN) gives
// exactly the loss and gradients of its real rows alone, padded rows get gradient 0, a row of
// weight 2 counts as the row twice, all-zero weights give a loss of 0, and a wrong shape is
// refused with the reason.
#include <limits>
#include <vector>

#include "test_util.h"

namespace ihd {
namespace {
using testing::random_tensor;

// The rows of `matrix` [N, K] listed in `rows`, in that order, as a new [rows.size(), K] tensor.
Tensor gather_rows(const Tensor& matrix, const std::vector<int>& rows) {
  const int64_t width = matrix.size(1);
  const std::vector<float> values = matrix.to_vector();
  std::vector<float> gathered;
  for (const int row : rows) {
    gathered.insert(gathered.end(), values.begin() + row * width,
                    values.begin() + (row + 1) * width);
  }
  return Tensor::from_vector(Shape{static_cast<int64_t>(rows.size()), width}, gathered);
}

Tensor random_targets(Shape shape, Random& g) {
  Tensor targets = Tensor::empty(std::move(shape));
  for (int64_t i = 0; i < targets.numel(); ++i) targets.data()[i] = g.chance(0.3) ? 1.0f : 0.0f;
  return targets;
}

TEST_CASE("bce: padded rows of weight 0 leave exactly the loss and gradients of the real rows") {
  Random g(41);
  const int rows = 9, labels = 6;
  const std::vector<float> mask{1, 1, 0, 1, 0, 0, 1, 1, 0};
  const std::vector<int> real_rows{0, 1, 3, 6, 7};
  Tensor logits = random_tensor(Shape{rows, labels}, g, 3.0f);
  Tensor targets = random_targets(Shape{rows, labels}, g);
  for (int n = 0; n < rows; ++n) {
    for (int k = 0; mask[n] == 0.0f && k < labels; ++k) {
      logits.data()[n * labels + k] = std::numeric_limits<float>::quiet_NaN();
      targets.data()[n * labels + k] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  Tensor real_logits = gather_rows(logits, real_rows).set_requires_grad(true);
  const Tensor real_targets = gather_rows(targets, real_rows);
  logits.set_requires_grad(true);
  const Tensor pos_weight = Tensor::from_vector(Shape{labels}, {2, 1, 1, 3, 1, 0.5f});
  const Tensor class_weight = Tensor::from_vector(Shape{labels}, {2, 1, 1, 1, 1, 1});
  for (const bool label_weighted : {false, true}) {
    CAPTURE(label_weighted);
    BceOptions alone, masked;
    if (label_weighted) alone = BceOptions{pos_weight, class_weight, Tensor()};
    masked = alone;
    masked.row_weight = Tensor::from_vector(Shape{rows}, mask);
    logits.zero_grad(), real_logits.zero_grad();
    const Tensor loss = binary_cross_entropy_with_logits(logits, targets, masked);
    const Tensor real_loss = binary_cross_entropy_with_logits(real_logits, real_targets, alone);
    loss.backward();
    real_loss.backward();
    CHECK(loss.item() == real_loss.item());
    CHECK(gather_rows(logits.grad(), real_rows).to_vector() == real_logits.grad().to_vector());
    const std::vector<float> grads = logits.grad().to_vector();
    for (int n = 0; n < rows; ++n) {
      for (int k = 0; mask[n] == 0.0f && k < labels; ++k) CHECK(grads[n * labels + k] == 0.0f);
    }
  }
}

TEST_CASE("bce: a row of weight 2 counts as that row twice, all-zero row weights give 0") {
  Random g(42);
  const Tensor logits = random_tensor(Shape{3, 2}, g, 2.0f);
  const Tensor targets = random_targets(Shape{3, 2}, g);
  BceOptions doubled;
  doubled.row_weight = Tensor::from_vector(Shape{3}, {1, 2, 1});
  const float weighted = binary_cross_entropy_with_logits(logits, targets, doubled).item();
  const float repeated = binary_cross_entropy_with_logits(gather_rows(logits, {0, 1, 1, 2}),
                                                          gather_rows(targets, {0, 1, 1, 2}))
                             .item();
  CHECK(weighted == doctest::Approx(repeated).epsilon(1e-6));

  Tensor trainable = logits.detach().set_requires_grad(true);
  BceOptions nothing;
  nothing.row_weight = Tensor::zeros(Shape{3});
  const Tensor loss = binary_cross_entropy_with_logits(trainable, targets, nothing);
  loss.backward();
  CHECK(loss.item() == 0.0f);
  for (const float value : trainable.grad().to_vector()) CHECK(value == 0.0f);
}

TEST_CASE("bce: row weights of the wrong shape are refused with the reason") {
  Random g(43);
  const Tensor logits = random_tensor(Shape{4, 2}, g);
  BceOptions wrong;
  wrong.row_weight = Tensor::full(Shape{3}, 1.0f);
  CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(logits, Tensor::zeros(Shape{4, 2}), wrong),
                       doctest::Contains("row weights must have shape [4]"), Error);
}

}  // namespace
}  // namespace ihd
