// The building-block layers, as modules with torch.nn names: Conv2d (weight, optional bias),
// BatchNorm2d (weight, bias, running_mean, running_var, num_batches_tracked), Linear (weight,
// bias), and for sequences of slice embeddings GRU (bidirectional; weight_ih_l0, ... as
// torch.nn.GRU) and TemporalConv1d (weight, optional bias). Default initialisation is PyTorch's;
// models re-initialise as torchvision does.
#pragma once

#include <vector>

#include "engine/module.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace ihd {

class Conv2d : public Module {
 public:
  // Weight [out, kernel, kernel, in] (OHWI).
  Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool bias,
         Random& generator);
  Tensor forward(const Tensor& x) const;

  Tensor weight, bias;
  Conv2dOptions options;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, float momentum = 0.1f, float eps = 1e-5f);
  // relu(bn(x) + residual): the residual (may be undefined) and the ReLU fused in.
  Tensor forward(const Tensor& x, bool relu = false, const Tensor& residual = Tensor()) const;

  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  float momentum, eps;
  // Empty: statistics of this replica's batch; set: synchronised across replicas (see ops.h).
  ReplicaSum replica_sum;
};

// Sets `sum` on every BatchNorm2d of `model` (an empty one turns synchronisation off).
void set_replica_sum(Module& model, const ReplicaSum& sum);

class Linear : public Module {
 public:
  Linear(int in_features, int out_features, bool bias, Random& generator);
  Tensor forward(const Tensor& x) const;

  Tensor weight, bias;
};

// torch.nn.GRU(input_size, hidden_size, num_layers, batch_first=True, bidirectional=True) over a
// padded batch (gru_bidirectional): layer l > 0 reads layer l - 1's [N, T, 2 hidden_size] output.
// Parameters in PyTorch's order and names: weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l},
// bias_hh_l{l}, then the same with the suffix _reverse, for each layer l; each drawn uniform in
// +-1/sqrt(hidden_size), as PyTorch does.
class GRU : public Module {
 public:
  GRU(int input_size, int hidden_size, int num_layers, Random& generator);
  // x [N, T, input_size] -> [N, T, 2 hidden_size]; lengths as gru_bidirectional.
  Tensor forward(const Tensor& x, const std::vector<int>& lengths) const;

  struct Layer {
    GruWeights forward, reverse;
  };
  std::vector<Layer> layers;
  int hidden_size;
};

// A 1-D convolution along the steps of a padded batch (temporal_conv1d), 'same' padding: what
// torch.nn.Conv1d(in, out, kernel, padding=(kernel - 1) dilation / 2, dilation) gives on the
// masked input, its output masked. weight [out, kernel, in] (PyTorch's [out, in, kernel] with the
// last two axes swapped), bias [out]; PyTorch's default initialisation.
class TemporalConv1d : public Module {
 public:
  TemporalConv1d(int in_channels, int out_channels, int kernel, int dilation, bool bias,
                 Random& generator);
  // x [N, T, in] -> [N, T, out].
  Tensor forward(const Tensor& x, const std::vector<int>& lengths) const;

  Tensor weight, bias;
  int dilation;
};

}  // namespace ihd
