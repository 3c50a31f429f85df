// The <Backend::cpu> specializations of kernels/loss.h: BCE with logits, each element's loss,
// gradient and weight by the rules CUDA uses too (kernels/rules/loss.h: the stable form, and
// r_n w_k / (sum_n r_n sum_k w_k) per element, the plain mean when all weights are 1). Rows run in
// order, labels within a row in order, so that leaving out rows of weight 0 sums the same terms in
// the same order as a batch that never had them.
#include "kernels/loss.h"

#include "kernels/rules/loss.h"

namespace ihd::kernels {
namespace {

// 1 / (sum_n r_n sum_k w_k), or 0 when the row weights sum to 0 (nothing to average).
double normaliser(int rows, int labels, const float* class_weight, const float* row_weight) {
  double total_class = labels, total_row = rows;
  if (class_weight) {
    total_class = 0.0;
    for (int k = 0; k < labels; ++k) total_class += class_weight[k];
  }
  if (row_weight) {
    total_row = 0.0;
    for (int n = 0; n < rows; ++n) total_row += row_weight[n];
  }
  return total_row == 0.0 ? 0.0 : 1.0 / (total_row * total_class);
}

}  // namespace

template <>
void bce_with_logits_forward<Backend::cpu>(int rows, int labels, const float* logits,
                                           const float* targets, const float* pos_weight,
                                           const float* class_weight, const float* row_weight,
                                           float* loss) {
  const double scale = normaliser(rows, labels, class_weight, row_weight);
  double total = 0.0;
  for (int n = 0; n < rows; ++n) {
    const double r = row_weight ? row_weight[n] : 1.0;
    if (r == 0.0) continue;
    for (int k = 0; k < labels; ++k) {
      const double factor = rules::bce_element_weight(r, class_weight, k, scale);
      const double p = pos_weight ? pos_weight[k] : 1.0;
      const double x = logits[static_cast<long>(n) * labels + k];
      const double t = targets[static_cast<long>(n) * labels + k];
      total += factor * rules::bce_element_loss(x, t, p);
    }
  }
  *loss = static_cast<float>(total);
}

template <>
void bce_with_logits_backward<Backend::cpu>(int rows, int labels, const float* logits,
                                            const float* targets, const float* pos_weight,
                                            const float* class_weight, const float* row_weight,
                                            const float* grad_loss, float* grad_logits) {
  const double scale = normaliser(rows, labels, class_weight, row_weight);
  for (int n = 0; n < rows; ++n) {
    const double r = row_weight ? row_weight[n] : 1.0;
    for (int k = 0; k < labels; ++k) {
      const long i = static_cast<long>(n) * labels + k;
      if (r == 0.0) {
        grad_logits[i] = 0.0f;
        continue;
      }
      const float factor =
          static_cast<float>(rules::bce_element_weight(r, class_weight, k, scale)) * *grad_loss;
      const float p = pos_weight ? pos_weight[k] : 1.0f;
      grad_logits[i] = factor * rules::bce_element_gradient(logits[i], targets[i], p);
    }
  }
}

}  // namespace ihd::kernels
