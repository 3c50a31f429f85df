// check_training_step_on_both(): one training step (forward, BCE loss, backward, SGD with
// momentum) of the same model on the CPU and on CUDA from identical weights, comparing the loss,
// every parameter gradient, every float buffer (running statistics) and every parameter after the
// update by normalised error (tests/ops/normalised_error.h): the small residual network's step
// test (network_test.cpp).
#pragma once

#include <functional>

#include "engine/optim/optimizer.h"
#include "ops/normalised_error.h"
#include "ops/skip_without_gpu.h"

namespace ihd::cuda_test {

// cpu_forward / cuda_forward run the two models; cuda_model must already live on the GPU.
inline void check_training_step_on_both(const Module& cpu_model, const Module& cuda_model,
                                        const std::function<Tensor(const Tensor&)>& cpu_forward,
                                        const std::function<Tensor(const Tensor&)>& cuda_forward,
                                        const Tensor& images, const Tensor& labels, float lr,
                                        double loss_epsilon, double tolerance) {
  kernels::SgdHyper hyper;
  hyper.lr = lr;
  hyper.momentum = 0.9f;
  hyper.weight_decay = 1e-4f;
  Sgd cpu_sgd(cpu_model.named_parameters(), hyper), cuda_sgd(cuda_model.named_parameters(), hyper);

  const Tensor cpu_loss = binary_cross_entropy_with_logits(cpu_forward(images), labels);
  const Tensor cuda_loss = binary_cross_entropy_with_logits(cuda_forward(images.to(Device::cuda())),
                                                            labels.to(Device::cuda()));
  cpu_loss.backward();
  cuda_loss.backward();
  CHECK(cuda_loss.item() == doctest::Approx(cpu_loss.item()).epsilon(loss_epsilon));

  const auto cpu_parameters = cpu_model.named_parameters();
  const auto cuda_parameters = cuda_model.named_parameters();
  REQUIRE(cpu_parameters.size() == cuda_parameters.size());
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    INFO("gradient of " << cpu_parameters[i].first);
    CHECK(testing::normalised_error(cpu_parameters[i].second.grad(),
                                    cuda_parameters[i].second.grad()) <= tolerance);
  }
  const auto cpu_buffers = cpu_model.named_buffers(), cuda_buffers = cuda_model.named_buffers();
  for (std::size_t i = 0; i < cpu_buffers.size(); ++i) {
    if (cpu_buffers[i].second.dtype() != DType::f32) continue;
    INFO("buffer " << cpu_buffers[i].first);
    CHECK(testing::normalised_error(cpu_buffers[i].second, cuda_buffers[i].second) <= tolerance);
  }

  cpu_sgd.step();
  cuda_sgd.step();
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    INFO("parameter after SGD: " << cpu_parameters[i].first);
    CHECK(testing::normalised_error(cpu_parameters[i].second, cuda_parameters[i].second) <=
          tolerance);
  }
}

}  // namespace ihd::cuda_test
