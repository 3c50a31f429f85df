// The study-level stage: a sequence model over the slices of CT series, after the RSNA 2019
// winners (1st place, SeuTao: a slice CNN's pooled features for every slice of a series, in slice
// order, through a 1x1 convolution and a bidirectional GRU). Each slice's features (the slice
// CNN's pooled features, and its logits) come in as one row of a padded batch [N, T, F]; the
// model gives the six RSNA logits of every slice, refined by its neighbours:
//
//   projection  per-slice Linear(F -> projected) + ReLU           (SeuTao's 1x1 conv 512 -> 128)
//   context     kind gru: bidirectional GRU, `layers` layers, [N, T, 2 hidden]
//               kind tcn: dilated temporal convolutions, [N, T, hidden]: kernel 5 dilation 1, then
//                 `layers` of kernel 3 with dilations 2, 4, ..., 2^layers; a ReLU after each, and
//                 each added to its input where the widths match (a residual)
//   head        per-slice Linear(-> outputs)
//
// Padding: positions t >= lengths[n] are never read (the features there may hold anything, NaN
// included), take no part in any real position's output, and come out as 0 logits with 0
// gradients. The per-slice Linears run as kernel-1 temporal convolutions (the Linear's weight
// viewed as [out, 1, in]), which keep the sequence ops' masking contract (engine/ops.h) through
// the whole model. So a series gives the same outputs in any padded batch as alone, and the loss
// over flatten_steps(logits) with row weights real_step_weights(lengths, T) is the loss of the
// real slices alone.
//
// Parameters, torch-named for safetensors checkpoints (model/weights.h): projection.{weight,
// bias} [projected, F], [projected]; gru.{weight_ih_l0, ...} (torch.nn.GRU's names) or
// tcn.<i>.{weight, bias} (weight [out, kernel, in], PyTorch's Conv1d weight with its last two
// axes swapped); head.{weight, bias}. Initialisation is PyTorch's default, drawn from one
// Random(config.seed) in that order: a config always gives the same weights.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/layers.h"
#include "engine/module.h"

namespace ihd {

enum class SequenceKind {
  gru,  // bidirectional GRU
  tcn,  // dilated temporal convolutions
};

// "gru" or "tcn" (anything else throws ihd::Error), and back.
SequenceKind parse_sequence_kind(std::string_view name);
std::string sequence_kind_name(SequenceKind kind);

struct SequenceModelConfig {
  int input_features = 0;        // F: per-slice features (pooled CNN features, logits)
  int projected_features = 128;  // width after the per-slice projection
  SequenceKind kind = SequenceKind::gru;
  int hidden = 64;    // GRU hidden size per direction, or TCN channels
  int layers = 2;     // GRU layers, or dilated kernel-3 convolutions after the first
  int outputs = 6;    // the RSNA labels
  uint64_t seed = 0;  // initialisation is a pure function of the config
};

// The dilated convolutions of kind tcn, named "0", "1", ... as torch.nn.Sequential names them.
class TemporalConvStack : public Module {
 public:
  TemporalConvStack(int in_channels, int channels, int dilated_layers, Random& generator);
  // x [N, T, in_channels] -> [N, T, channels].
  Tensor forward(const Tensor& x, const std::vector<int>& lengths) const;

  std::vector<std::shared_ptr<TemporalConv1d>> convs;
};

class SequenceModel : public Module {
 public:
  explicit SequenceModel(const SequenceModelConfig& config);

  // features [N, T, input_features] float32, lengths N values in 1..T -> logits [N, T, outputs],
  // 0 at padded positions.
  Tensor forward(const Tensor& features, const std::vector<int>& lengths) const;

  const SequenceModelConfig& config() const { return config_; }

  std::shared_ptr<Linear> projection;
  std::shared_ptr<GRU> gru;                // kind gru, else null
  std::shared_ptr<TemporalConvStack> tcn;  // kind tcn, else null
  std::shared_ptr<Linear> head;

 private:
  SequenceModelConfig config_;
};

// logits [N, T, K] -> [N T, K], series after series (a view, differentiable): the rows that
// binary_cross_entropy_with_logits takes, with targets laid out the same way.
Tensor flatten_steps(const Tensor& logits);

// [N T] float32 on `device`: 1 at real steps (t < lengths[n]) and 0 at padding, in
// flatten_steps' row order: BceOptions::row_weight for a padded batch of `steps` steps.
Tensor real_step_weights(const std::vector<int>& lengths, int steps, Device device = Device::cpu());

}  // namespace ihd
