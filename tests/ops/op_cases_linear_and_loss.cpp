// Op cases of the fully connected layer (bias and the input gradient optional) and of binary
// cross-entropy on logits (label and class weights, row weights: 0/1 from a padded sequence batch,
// whose 0 rows hold NaN logits that must never be read, and any positive weights). float32 only.
// Tolerances: the linear layer's dot products are summed in another order (1e-9); the loss is
// the same formula summed in double, in order (1e-12).
#include <limits>

#include "op_case.h"

namespace ihd::op_cases {
namespace {

struct LinearShape {
  int batch, in_features, out_features;
};
constexpr LinearShape kLinearShapes[] = {{1, 7, 3}, {5, 2048, 512}, {4, 512, 1}, {33, 65, 6}};

// x gets a gradient unless `input_gradient` is false (the backward without dx).
OpCase linear_case(const LinearShape& s, bool bias, unsigned uses, bool input_gradient = true) {
  OpCase op_case{
      .family = "linear and loss",
      .name = std::string(bias ? "linear with bias " : "linear ") +
              (input_gradient ? "" : "without dx ") + "x " + std::to_string(s.batch) + "x" +
              std::to_string(s.in_features) + ", w " + std::to_string(s.out_features) + "x" +
              std::to_string(s.in_features),
      .inputs = {{Shape{s.batch, s.in_features}, input_gradient ? Role::parameter : Role::constant},
                 {Shape{s.out_features, s.in_features}, Role::parameter}},
      .run =
          [](const std::vector<Tensor>& in) {
            return std::vector{linear(in[0], in[1], in.size() > 2 ? in[2] : Tensor())};
          },
      .uses = uses,
      .float32_tolerance = 1e-9,
      .flops = 2.0 * s.batch * s.in_features * s.out_features};
  if (bias) op_case.inputs.push_back({Shape{s.out_features}, Role::parameter});
  return op_case;
}

enum class Rows { unweighted, padded, weighted };

// 0/1 values, 1 with probability `p`.
std::function<std::vector<float>(std::mt19937&)> bernoulli(int64_t n, double p) {
  return [n, p](std::mt19937& engine) {
    std::bernoulli_distribution draw(p);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& value : values) value = draw(engine) ? 1.0f : 0.0f;
    return values;
  };
}

// The padded rows' mask (row 0 always real), fixed by the case.
std::vector<float> padding_mask(int rows) {
  std::mt19937 engine(static_cast<unsigned>(rows));
  std::bernoulli_distribution padded(0.4);
  std::vector<float> mask(static_cast<std::size_t>(rows), 1.0f);
  for (int row = 1; row < rows; ++row) mask[row] = padded(engine) ? 0.0f : 1.0f;
  return mask;
}

OpCase loss_case(int rows, int labels, bool label_weights, Rows row_weights, unsigned uses) {
  const int64_t n = static_cast<int64_t>(rows) * labels;
  const std::vector<float> mask = padding_mask(rows);
  OpInput logits{Shape{rows, labels}, Role::parameter, -6.0f, 6.0f};
  if (row_weights == Rows::padded) {
    logits.values = [mask, labels, n](std::mt19937& engine) {
      std::uniform_real_distribution<float> distribution(-6.0f, 6.0f);
      std::vector<float> values(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        values[i] = mask[i / labels] == 0.0f ? std::numeric_limits<float>::quiet_NaN()
                                             : distribution(engine);
      }
      return values;
    };
  }
  OpInput row_weight{Shape{rows}, Role::constant, 0.25f, 2.0f};
  if (row_weights == Rows::padded) row_weight.values = [mask](std::mt19937&) { return mask; };
  const char* rows_name = row_weights == Rows::unweighted ? ""
                          : row_weights == Rows::padded   ? ", padded rows"
                                                          : ", row weights";
  OpCase op_case{.family = "linear and loss",
                 .name = "binary_cross_entropy_with_logits " + std::to_string(rows) + "x" +
                         std::to_string(labels) + (label_weights ? ", label weights" : "") +
                         rows_name,
                 .inputs = {logits,
                            {Shape{rows, labels}, Role::constant, 0.0f, 1.0f, bernoulli(n, 0.3)},
                            {Shape{labels}, Role::constant, 0.5f, 3.0f},
                            {Shape{labels}, Role::constant, 0.5f, 2.0f},
                            row_weight},
                 .run =
                     [label_weights, row_weights](const std::vector<Tensor>& in) {
                       BceOptions options;
                       if (label_weights) {
                         options.pos_weight = in[2];
                         options.class_weight = in[3];
                       }
                       if (row_weights != Rows::unweighted) options.row_weight = in[4];
                       return std::vector{reshape(
                           binary_cross_entropy_with_logits(in[0], in[1], options), Shape{1})};
                     },
                 .uses = uses};
  return op_case;
}

}  // namespace

void add_linear_and_loss_cases(std::vector<OpCase>& cases) {
  for (const LinearShape& shape : kLinearShapes)
    cases.push_back(linear_case(shape, true, kBackends));
  for (const LinearShape& shape : {kLinearShapes[1], kLinearShapes[3]}) {
    cases.push_back(linear_case(shape, false, kBackends));
    cases.push_back(linear_case(shape, false, kBackends, false));
  }
  cases.push_back(linear_case({3, 6, 4}, true, kBackends | kGradients));
  cases.push_back(linear_case({256, 2048, 6}, true, kPerformance));

  for (const auto& [rows, labels] :
       {std::pair{1, 1}, std::pair{7, 6}, std::pair{256, 1}, std::pair{1000, 6}}) {
    for (const bool label_weights : {false, true}) {
      for (const Rows row_weights : {Rows::unweighted, Rows::padded, Rows::weighted}) {
        cases.push_back(loss_case(rows, labels, label_weights, row_weights, kBackends));
      }
    }
  }
  for (const Rows row_weights : {Rows::unweighted, Rows::padded, Rows::weighted}) {
    cases.push_back(loss_case(5, 3, row_weights != Rows::unweighted, row_weights, kGradients));
  }
}

}  // namespace ihd::op_cases
