// The building-block layers, as modules with torch.nn names: Conv2d (weight, optional bias),
// BatchNorm2d (weight, bias, running_mean, running_var, num_batches_tracked) and Linear (weight,
// bias). Default initialisation is PyTorch's; models re-initialise as torchvision does.
#pragma once

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
};

class Linear : public Module {
 public:
  Linear(int in_features, int out_features, bool bias, Random& generator);
  Tensor forward(const Tensor& x) const;

  Tensor weight, bias;
};

}  // namespace ihd
