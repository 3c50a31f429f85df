// Every differentiable op of the engine, in one page. Each op checks its inputs, runs the kernel
// of the input's device (kernels/cpu or kernels/cuda), and, when an input needs a gradient,
// attaches the backward closure (see autograd.h). Implementations: engine/ops/<family>.cpp.
//
// Layouts: activations NHWC [batch, height, width, channels]; conv weights OHWI
// [out_channels, kernel_h, kernel_w, in_channels]; linear weights [out_features, in_features];
// sequences [batch, steps, channels], temporal conv weights [out_channels, kernel, in_channels].
//
// Element types: float32 everywhere. Mixed precision (engine/autocast.h) adds bfloat16
// activations to the ops a ResNet's body runs: conv2d, batch_norm, max_pool2d, global_avg_pool
// (bfloat16 in, float32 out), add; a gradient always has its tensor's dtype. Other ops take
// float32 only and say so.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "engine/tensor.h"

namespace ihd {

// ---- arithmetic (engine/ops/arithmetic.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);  // same shapes and dtype (float32 or bfloat16)
Tensor mul(const Tensor& a, const Tensor& b);  // same shapes, elementwise
Tensor scale(const Tensor& x, float factor);   // x * factor
Tensor sum(const Tensor& x);                   // all elements -> scalar
Tensor mean(const Tensor& x);                  // all elements -> scalar
Tensor reshape(const Tensor& x, Shape shape);  // same numel, shares storage
Tensor flatten(const Tensor& x);               // [N, ...] -> [N, rest]

// ---- mixed precision (engine/ops/cast.cpp) ----
// float32 <-> bfloat16 (rounding to nearest even); the same tensor when it already has `dtype`.
Tensor cast(const Tensor& x, DType dtype);

// ---- activations (engine/ops/activation.cpp) ----
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);

// ---- convolution (engine/ops/conv2d.cpp) ----
struct Conv2dOptions {
  int stride = 1;
  int padding = 0;
};
// x [N,H,W,C], weight [O,KH,KW,C], bias [O] or undefined -> [N,OH,OW,O]. Computes in bfloat16
// (float32 accumulation; input and weight cast, output bfloat16, no bias) when x is bfloat16 or
// an AutocastGuard(DType::bf16) is active; otherwise in float32.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options);
// The type conv2d computes in for input x on this thread: bfloat16 or float32, as above.
DType conv2d_compute_dtype(const Tensor& x);
// Inference, outside autograd: float32 weights prepared once by the backend for one input shape
// and activation type (kernels/conv2d.h: the layout its forward reads fastest, in float32 or, for
// bfloat16 activations, rounded once to bfloat16; opaque bytes on the weight's device), and
// relu(conv(x, w) + bias + residual) in one pass over them. What a batch norm folded into its
// convolution runs (engine/conv_batch_norm_fold.h).
struct PreparedConv2d {
  Tensor weights;                  // the backend's bytes
  Shape weight_shape;              // [O,KH,KW,C]
  Shape input_shape;               // [N,H,W,C]: conv2d_fused takes inputs of this shape only...
  DType activations = DType::f32;  // ...and of this type (float32 or bfloat16)
  Conv2dOptions options;
};
PreparedConv2d prepare_conv2d(const Tensor& weight, const Shape& input_shape, Conv2dOptions options,
                              DType activations = DType::f32);
// x of the prepared input shape and type, bias [O] float32 (required), residual of the output's
// shape and x's type, or undefined; ReLU last when `relu`. The output has x's type (bfloat16:
// float32 accumulation, each output rounded once on the CPU). Records no graph.
Tensor conv2d_fused(const Tensor& x, const PreparedConv2d& prepared, const Tensor& bias,
                    const Tensor& residual, bool relu);

// ---- batch normalisation (engine/ops/batch_norm.cpp) ----
// Per-channel normalisation of NHWC (or [N, C]) input, with PyTorch's semantics: in training,
// batch statistics normalise (biased variance) and the running statistics are updated in place
// (running = (1 - momentum) running + momentum batch, unbiased variance); in evaluation the
// running statistics normalise. The block's glue is fused into the same pass: an optional residual
// added after the affine transform, then an optional ReLU: y = relu(bn(x) + residual).
// x, residual and y share x's dtype (float32 or bfloat16); parameters and statistics are float32.
//
// Synchronised batch norm (torch.nn.SyncBatchNorm): a data-parallel job splits each batch across
// replicas (each holds at least one row), and a ReplicaSum sums `count` floats in place across
// them. `values` lives on the device of the batch norm's tensors (host memory on the CPU, device
// memory on CUDA); every replica calls it the same number of times, in the same order, with the
// same count. On CUDA the values are written by work queued on the engine's compute stream
// (kernels::cuda::compute_stream()): the sum must follow that work and precede whatever is queued
// there after it returns (an ncclAllReduce on that stream does both). With one in the options,
// training normalises with the statistics of the whole global batch and updates the running
// statistics with them (two sums per forward, of C + 2 and C floats; one of 2C floats per
// backward); empty, each replica uses its own batch (what DDP does by default). The parameter
// gradients each replica returns are those of its own rows (see engine/ops/batch_norm.cpp), so
// that averaging them across replicas gives the gradient of the global batch's mean loss.
using ReplicaSum = std::function<void(float* values, int64_t count)>;
struct BatchNormOptions {
  bool training = true;
  float momentum = 0.1f;
  float eps = 1e-5f;
  bool relu = false;
  ReplicaSum replica_sum;
};
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, BatchNormOptions options,
                  const Tensor& residual = Tensor());

// ---- pooling (engine/ops/pooling.cpp) ----
struct MaxPool2dOptions {
  int kernel = 3;
  int stride = 2;
  int padding = 1;
};
Tensor max_pool2d(const Tensor& x, MaxPool2dOptions options);  // NHWC -> NHWC, same dtype
Tensor global_avg_pool(const Tensor& x);                       // [N,H,W,C] -> [N,C] float32

// ---- linear (engine/ops/linear.cpp) ----
// x [N, in], weight [out, in], bias [out] or undefined -> [N, out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- sequence models (engine/ops/gru.cpp, engine/ops/temporal_conv.cpp) ----
// Over padded batches of variable-length series: x [N, T, C] float32 and `lengths`, N values in
// 1..T. Positions t >= lengths[n] of sequence n are padding: never read (x and the output's
// gradient may hold anything there), no part of any result, their outputs 0 and their input
// gradients 0. A series gives the same outputs at its real positions in any padded batch.

// One direction of a GRU layer: PyTorch's parameters, gate rows in the order r, z, n.
struct GruWeights {
  Tensor weight_ih;  // [3H, C]
  Tensor weight_hh;  // [3H, H]
  Tensor bias_ih;    // [3H]
  Tensor bias_hh;    // [3H]
};
// Bidirectional GRU layer, h0 = 0 -> [N, T, 2H]: the forward direction's states in [0, H), the
// reverse direction's (which starts at each sequence's last real step) in [H, 2H); what
// torch.nn.GRU(bidirectional=True, batch_first=True) gives on packed sequences, zero-padded.
Tensor gru_bidirectional(const Tensor& x, const std::vector<int>& lengths,
                         const GruWeights& forward, const GruWeights& reverse);
// 1-D convolution along the steps -> [N, T, O]: weight [O, k, C] with k odd, bias [O] or
// undefined, `dilation` >= 1, 'same' zero padding of (k - 1) dilation / 2 steps each side; padded
// positions read as 0 (torch.nn.Conv1d on the masked input, its output masked).
Tensor temporal_conv1d(const Tensor& x, const std::vector<int>& lengths, const Tensor& weight,
                       const Tensor& bias, int dilation);

// ---- loss (engine/ops/loss.cpp) ----
// Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss: logits and targets [N, K].
// pos_weight [K] multiplies the positive term; class_weight [K] weighs each label's loss, and the
// result is the mean over rows of sum_k w_k l_k / sum_k w_k (the RSNA weighted log loss).
// Without class weights the result is the mean over all N*K elements. row_weight [N] (>= 0)
// weighs each row's loss and the mean is taken over the total row weight,
// sum_n r_n (sum_k w_k l_nk / sum_k w_k) / sum_n r_n: rows of weight 0 (the padded steps of a
// flattened [N*T, K] sequence batch) are never read, get gradient 0, and the result equals the
// loss of the other rows alone; the loss is 0 when the row weights sum to 0. The weights are
// constants (no gradient) on the logits' device.
struct BceOptions {
  Tensor pos_weight;
  Tensor class_weight;
  Tensor row_weight;
};
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        const BceOptions& options = {});

}  // namespace ihd
