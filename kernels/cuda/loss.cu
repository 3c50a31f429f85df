// BCE with logits on the GPU, in the CPU twin's stable form (kernels/cpu/loss.cpp):
//   l = (1 - t) x + (1 + (p - 1) t) (log(1 + exp(-|x|)) + max(-x, 0)),  p = pos_weight
//   dl/dx = sigmoid(x) (p t + 1 - t) - p t
// each element weighted by w_k / (N sum_k w_k). The loss is small ([N, K] with K <= a few), so
// the forward is one block adding in double in a fixed order; the backward is elementwise.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/loss.h"

namespace ihd::kernels::cuda {
namespace {

// w_k / (N sum_j w_j), or 1 / (N K) without class weights; computed in double as on the CPU.
__device__ float element_factor(int rows, int labels, const float* class_weight, int k) {
  if (!class_weight) return 1.0f / (static_cast<float>(rows) * labels);
  double total = 0.0;
  for (int j = 0; j < labels; ++j) total += class_weight[j];
  return static_cast<float>(class_weight[k] / (total * rows));
}

__global__ void bce_forward_kernel(int rows, int labels, const float* logits, const float* targets,
                                   const float* pos_weight, const float* class_weight,
                                   float* loss) {
  const int64_t elements = static_cast<int64_t>(rows) * labels;
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < elements; i += blockDim.x) {
    const int k = static_cast<int>(i % labels);
    const double factor = element_factor(rows, labels, class_weight, k);
    const double p = pos_weight ? pos_weight[k] : 1.0;
    const double x = logits[i], t = targets[i];
    const double softplus_neg = log1p(exp(-fabs(x))) + fmax(-x, 0.0);
    total += factor * ((1.0 - t) * x + (1.0 + (p - 1.0) * t) * softplus_neg);
  }
  total = block_sum(total);
  if (threadIdx.x == 0) *loss = static_cast<float>(total);
}

}  // namespace

void bce_with_logits_forward(int rows, int labels, const float* logits, const float* targets,
                             const float* pos_weight, const float* class_weight, float* loss) {
  bce_forward_kernel<<<1, kThreadsPerBlock, 0, compute_stream()>>>(rows, labels, logits, targets,
                                                                   pos_weight, class_weight, loss);
  IHD_CUDA_CHECK_LAUNCH();
}

void bce_with_logits_backward(int rows, int labels, const float* logits, const float* targets,
                              const float* pos_weight, const float* class_weight,
                              const float* grad_loss, float* grad_logits) {
  for_each_index(static_cast<int64_t>(rows) * labels, [=] __device__(int64_t i) {
    const int k = static_cast<int>(i % labels);
    const float factor = element_factor(rows, labels, class_weight, k) * *grad_loss;
    const float p = pos_weight ? pos_weight[k] : 1.0f;
    const float t = targets[i];
    const float s = 1.0f / (1.0f + expf(-logits[i]));
    grad_logits[i] = factor * (s * (p * t + 1.0f - t) - p * t);
  });
}

}  // namespace ihd::kernels::cuda
