// Builds a tiny ResNet-18 from the installed headers and libraries and runs one forward pass:
// prints "logits 2 x 6" when the installed package works.
#include <cstdio>

#include "engine/autograd.h"
#include "engine/tensor.h"
#include "model/resnet.h"

int main() {
  ihd::ResNetConfig config = ihd::resnet_config(18);
  config.width_multiplier = 0.125;
  config.num_outputs = 6;
  ihd::ResNet model(config);
  model.eval();
  ihd::NoGradGuard no_grad;
  const ihd::Tensor logits = model.forward(ihd::Tensor::zeros(ihd::Shape{2, 32, 32, 3}));
  std::printf("logits %lld x %lld\n", static_cast<long long>(logits.size(0)),
              static_cast<long long>(logits.size(1)));
  return 0;
}
