// The <Backend::cuda> specializations of kernels/loss.h: BCE with logits on the GPU, each element's
// loss, gradient and weight by the rules the CPU uses (kernels/rules/loss.h), rows of weight 0
// never read. The
// loss is small ([N, K] with K <= a few, N a batch of images or of slices), so both passes are
// one block: it sums the row weights (block_sum, fixed order), then strides over the elements;
// the forward adds their terms in double in a fixed order.
#include "kernels/cuda/launch.cuh"
#include "kernels/loss.h"
#include "kernels/rules/loss.h"

namespace ihd::kernels::cuda {
namespace {

// 1 / (sum_n r_n sum_k w_k), or 0 when the row weights sum to 0; every thread of the block must
// call it (it sums the row weights with block_sum).
__device__ double normaliser(int rows, int labels, const float* class_weight,
                             const float* row_weight) {
  double total_class = labels, total_row = rows;
  if (class_weight) {
    total_class = 0.0;
    for (int k = 0; k < labels; ++k) total_class += class_weight[k];
  }
  if (row_weight) {
    double partial = 0.0;
    for (int n = threadIdx.x; n < rows; n += blockDim.x) partial += row_weight[n];
    total_row = block_sum(partial);
  }
  return total_row == 0.0 ? 0.0 : 1.0 / (total_row * total_class);
}

__global__ void bce_forward_kernel(int rows, int labels, const float* logits, const float* targets,
                                   const float* pos_weight, const float* class_weight,
                                   const float* row_weight, float* loss) {
  const double scale = normaliser(rows, labels, class_weight, row_weight);
  const int64_t elements = static_cast<int64_t>(rows) * labels;
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < elements; i += blockDim.x) {
    const double r = row_weight ? row_weight[i / labels] : 1.0;
    if (r == 0.0) continue;
    const int k = static_cast<int>(i % labels);
    const double factor = rules::bce_element_weight(r, class_weight, k, scale);
    const double p = pos_weight ? pos_weight[k] : 1.0;
    total += factor * rules::bce_element_loss(logits[i], targets[i], p);
  }
  total = block_sum(total);
  if (threadIdx.x == 0) *loss = static_cast<float>(total);
}

__global__ void bce_backward_kernel(int rows, int labels, const float* logits, const float* targets,
                                    const float* pos_weight, const float* class_weight,
                                    const float* row_weight, const float* grad_loss,
                                    float* grad_logits) {
  const double scale = normaliser(rows, labels, class_weight, row_weight);
  const int64_t elements = static_cast<int64_t>(rows) * labels;
  for (int64_t i = threadIdx.x; i < elements; i += blockDim.x) {
    const double r = row_weight ? row_weight[i / labels] : 1.0;
    if (r == 0.0) {
      grad_logits[i] = 0.0f;
      continue;
    }
    const int k = static_cast<int>(i % labels);
    const float factor =
        static_cast<float>(rules::bce_element_weight(r, class_weight, k, scale)) * *grad_loss;
    const float p = pos_weight ? pos_weight[k] : 1.0f;
    grad_logits[i] = factor * rules::bce_element_gradient(logits[i], targets[i], p);
  }
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void bce_with_logits_forward<Backend::cuda>(int rows, int labels, const float* logits,
                                            const float* targets, const float* pos_weight,
                                            const float* class_weight, const float* row_weight,
                                            float* loss) {
  cuda::bce_forward_kernel<<<1, cuda::kThreadsPerBlock, 0, cuda::compute_stream()>>>(
      rows, labels, logits, targets, pos_weight, class_weight, row_weight, loss);
  IHD_CUDA_CHECK_LAUNCH();
}

template <>
void bce_with_logits_backward<Backend::cuda>(int rows, int labels, const float* logits,
                                             const float* targets, const float* pos_weight,
                                             const float* class_weight, const float* row_weight,
                                             const float* grad_loss, float* grad_logits) {
  cuda::bce_backward_kernel<<<1, cuda::kThreadsPerBlock, 0, cuda::compute_stream()>>>(
      rows, labels, logits, targets, pos_weight, class_weight, row_weight, grad_loss, grad_logits);
  IHD_CUDA_CHECK_LAUNCH();
}

}  // namespace ihd::kernels
