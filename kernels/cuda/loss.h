// Binary cross-entropy on logits on the GPU. Same contracts as kernels/cpu/loss.h; `loss` and
// `grad_loss` point at one float in device memory. Both passes reduce the weights, and the
// forward the loss, in double in a fixed order (deterministic).
#pragma once

namespace ihd::kernels::cuda {

void bce_with_logits_forward(int rows, int labels, const float* logits, const float* targets,
                             const float* pos_weight, const float* class_weight,
                             const float* row_weight, float* loss);
void bce_with_logits_backward(int rows, int labels, const float* logits, const float* targets,
                              const float* pos_weight, const float* class_weight,
                              const float* row_weight, const float* grad_loss, float* grad_logits);

}  // namespace ihd::kernels::cuda
