// binary_cross_entropy_with_logits: checks the logits, targets and the optional per-label and
// per-row weights, runs the kernel of their device and wires the backward pass.
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace ihd {

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        const BceOptions& options) {
  IHD_CHECK(logits.rank() == 2, "bce: logits must be [N, K], got ", logits.shape().to_string());
  IHD_CHECK(targets.shape() == logits.shape(), "bce: targets ", targets.shape().to_string(),
            " differ from logits ", logits.shape().to_string());
  const int rows = static_cast<int>(logits.size(0));
  const int labels = static_cast<int>(logits.size(1));
  IHD_CHECK(rows > 0, "bce: empty batch");
  for (const Tensor* weights : {&options.pos_weight, &options.class_weight}) {
    IHD_CHECK(!weights->defined() || weights->shape() == Shape{labels},
              "bce: per-label weights must have shape [", labels, "]");
  }
  IHD_CHECK(!options.row_weight.defined() || options.row_weight.shape() == Shape{rows},
            "bce: row weights must have shape [", rows, "] (one per row of the logits), got ",
            options.row_weight.shape().to_string());
  for (const Tensor* weights : {&options.pos_weight, &options.class_weight, &options.row_weight}) {
    IHD_CHECK(!weights->defined() || weights->device() == logits.device(),
              "bce: weights must be on the logits' device, ", logits.device().to_string());
  }
  const auto data_or_null = [](const Tensor& tensor) {
    return tensor.defined() ? tensor.data() : nullptr;
  };
  const float* pos_weight = data_or_null(options.pos_weight);
  const float* class_weight = data_or_null(options.class_weight);
  const float* row_weight = data_or_null(options.row_weight);
  Tensor loss = Tensor::empty(Shape{}, logits.device());
  IHD_ON_DEVICE(logits.device(), bce_with_logits_forward, rows, labels, logits.data(),
                targets.data(), pos_weight, class_weight, row_weight, loss.data());
  if (any_requires_grad({&logits})) {
    // The closure holds the weight tensors (kept_weights) so that their pointers stay valid.
    attach_grad_fn(loss, "binary_cross_entropy_with_logits", {logits},
                   [=, kept_weights = options](const Tensor& grad) {
                     Tensor grad_logits = Tensor::empty(logits.shape(), logits.device());
                     IHD_ON_DEVICE(logits.device(), bce_with_logits_backward, rows, labels,
                                   logits.data(), targets.data(), pos_weight, class_weight,
                                   row_weight, grad.data(), grad_logits.data());
                     return std::vector<Tensor>{grad_logits};
                   });
  }
  return loss;
}

}  // namespace ihd
