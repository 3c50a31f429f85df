// Binary cross-entropy on logits, [N, K] logits and targets, reduced to one scalar (see
// engine/ops.h for the weighting), declared once for both backends (backend.h). pos_weight and
// class_weight ([K]) and row_weight ([N]) may be null. A row of weight 0 is never read (its
// logits and targets may hold anything, NaN included) and its gradient is 0; when the row weights
// sum to 0 the loss and every gradient are 0. `loss` and `grad_loss` point at one float in the
// backend's memory. Both passes reduce the weights, and the forward the loss, in double in a
// fixed order (deterministic); the element formulas are kernels/rules/loss.h.
#pragma once

#include "kernels/backend.h"

namespace ihd::kernels {

template <Backend B>
void bce_with_logits_forward(int rows, int labels, const float* logits, const float* targets,
                             const float* pos_weight, const float* class_weight,
                             const float* row_weight, float* loss);
template <Backend B>
void bce_with_logits_backward(int rows, int labels, const float* logits, const float* targets,
                              const float* pos_weight, const float* class_weight,
                              const float* row_weight, const float* grad_loss, float* grad_logits);

}  // namespace ihd::kernels
