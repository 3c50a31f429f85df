// ConvBatchNormFold: a convolution followed by its batch norm (with the batch norm's fused residual
// add and ReLU), run in evaluation without gradients as one convolution whose weights and bias
// hold the batch norm: with s = gamma / sqrt(running_var + eps),
//   w' = w * s (per output channel),   b' = beta + (b - running_mean) * s   (b: the conv's bias, or
//   0),
// and the residual add and ReLU fused into it (conv2d_fused: oneDNN post-ops on the CPU). In
// bfloat16 (a bfloat16 input, or bfloat16 autocast) the folded weights are rounded to bfloat16
// once, after the fold, and the fused convolution rounds each output once (the unfolded layers
// round the convolution's output, then the batch norm's). The folded weights are made once (in
// float32) and prepared once per input shape and type (prepare_conv2d: reordered into the
// backend's layout), and kept while the source tensors keep their version stamps (Tensor::version:
// a training step, loading weights, copy_from, fill or moving the model changes them) and until
// clear() (ResNet::train() calls it). Anywhere else (training, gradients on) it runs the two
// layers as they are.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/layers.h"

namespace ihd {

class ConvBatchNormFold {
 public:
  // The layers must outlive the fold (the model owning both keeps them).
  ConvBatchNormFold(const Conv2d& conv, const BatchNorm2d& bn);

  // bn.forward(conv.forward(x), relu, residual), folded where it applies.
  Tensor forward(const Tensor& x, bool relu = false, const Tensor& residual = Tensor()) const;
  // Whether forward(x) runs folded now: batch norm in evaluation, no gradients recorded, a
  // float32 or bfloat16 input.
  bool applies_to(const Tensor& x) const;
  // Drops the folded and prepared weights; the next folded forward makes them again.
  void clear() const;
  // The folded weights [O,KH,KW,C] and bias [O] now in use (folding them if needed), for tests.
  std::pair<Tensor, Tensor> folded() const;

 private:
  struct Folded {
    std::array<uint64_t, 6> source_versions{};
    float eps = 0.0f;
    Tensor weight, bias;
    // One per input shape and type seen.
    std::vector<std::shared_ptr<const PreparedConv2d>> prepared;
  };
  std::array<uint64_t, 6> source_versions() const;
  // The current fold, made or remade as needed (under mutex_).
  std::shared_ptr<Folded> current() const;

  const Conv2d& conv_;
  const BatchNorm2d& bn_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<Folded> folded_;
};

}  // namespace ihd
