// Binary cross-entropy on logits, [N, K] logits and targets, reduced to one scalar (see
// engine/ops.h for the weighting). pos_weight and class_weight ([K]) may be null. `loss` and
// `grad_loss` point at one float.
#pragma once

namespace ihd::kernels::cpu {

void bce_with_logits_forward(int rows, int labels, const float* logits, const float* targets,
                             const float* pos_weight, const float* class_weight, float* loss);
void bce_with_logits_backward(int rows, int labels, const float* logits, const float* targets,
                              const float* pos_weight, const float* class_weight,
                              const float* grad_loss, float* grad_logits);

}  // namespace ihd::kernels::cpu
