// binary_cross_entropy_with_logits.
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
  const float* pos_weight = options.pos_weight.defined() ? options.pos_weight.data() : nullptr;
  const float* class_weight =
      options.class_weight.defined() ? options.class_weight.data() : nullptr;
  Tensor loss = Tensor::empty(Shape{}, logits.device());
  IHD_ON_DEVICE(logits.device(),
                bce_with_logits_forward(rows, labels, logits.data(), targets.data(), pos_weight,
                                        class_weight, loss.data()));
  if (any_requires_grad({&logits})) {
    attach_grad_fn(loss, "binary_cross_entropy_with_logits", {logits},
                   [=, pos = options.pos_weight, cls = options.class_weight](const Tensor& grad) {
                     Tensor grad_logits = Tensor::empty(logits.shape(), logits.device());
                     IHD_ON_DEVICE(logits.device(),
                                   bce_with_logits_backward(
                                       rows, labels, logits.data(), targets.data(), pos_weight,
                                       class_weight, grad.data(), grad_logits.data()));
                     return std::vector<Tensor>{grad_logits};
                   });
  }
  return loss;
}

}  // namespace ihd
