// End-to-end training speed on the GPU: one ResNet-50 step (forward, BCE loss, backward, SGD
// with momentum) on a batch of random images already on the device, as images/s and peak device
// memory, at 224 x 224 and 180 x 180, batch 256, in three precisions:
//   fp32: true float32; tf32: float32 with TF32 allowed for cuDNN and cuBLAS;
//   bf16: mixed precision, the forward (and loss) under AutocastGuard(bf16) as PyTorch's
//     autocast: bfloat16 activations and convolutions, float32 weights, statistics and head.
// Benchmarks are named resnet50_train_<precision>_<size>_batch<batch>, so that
// --benchmark_filter=bf16 runs one precision. The first step (cuDNN's algorithm search) is not
// timed. Without a GPU it says so and exits 0. Compare with bench/pytorch_cuda_reference.py on
// the same card (scripts/device-check.sh).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "engine/autocast.h"
#include "engine/optim/optimizer.h"
#include "engine/storage.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/memory.h"
#include "model/resnet.h"

namespace ihd {
namespace {

enum class Precision { fp32, tf32, bf16 };

void BM_resnet50_training_step(benchmark::State& state, int size, int batch, Precision precision) {
  kernels::cuda::set_tf32_allowed(precision == Precision::tf32);
  const DType compute_dtype = precision == Precision::bf16 ? DType::bf16 : DType::f32;
  reset_peak_memory(Device::cuda());  // each configuration reports its own peak
  try {
    ResNetConfig config = resnet_config(50);
    config.num_outputs = 1;
    ResNet model(config);
    model.to(Device::cuda());
    Random data(1);
    Tensor images = Tensor::empty(Shape{batch, size, size, 3});
    fill_normal(images, data, 0.0f, 1.0f);
    images = images.to(Device::cuda());
    Tensor labels = Tensor::empty(Shape{batch, 1});
    fill_uniform(labels, data, 0.0f, 1.0f);
    labels = labels.to(Device::cuda());
    kernels::SgdHyper hyper;
    hyper.lr = 0.01f;
    hyper.momentum = 0.9f;
    Sgd sgd(model.named_parameters(), hyper);
    const auto step = [&] {
      sgd.zero_grad();
      Tensor loss;
      {
        const AutocastGuard autocast(compute_dtype);
        loss = binary_cross_entropy_with_logits(model.forward(images), labels);
      }
      loss.backward();
      sgd.step();
      kernels::cuda::synchronize();
    };
    step();
    double seconds = 0.0;
    for (auto _ : state) {
      const auto start = std::chrono::steady_clock::now();
      step();
      const double step_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      state.SetIterationTime(step_seconds);
      seconds += step_seconds;
    }
    state.counters["images/s"] = static_cast<double>(batch) * state.iterations() / seconds;
    state.counters["peak_GiB"] =
        static_cast<double>(memory_stats(Device::cuda()).peak_bytes) / (1 << 30);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
  release_cached_memory(Device::cuda());
  kernels::cuda::set_tf32_allowed(false);
}

void register_benchmarks() {
  constexpr int kBatch = 256;
  const std::pair<Precision, const char*> precisions[] = {
      {Precision::fp32, "fp32"}, {Precision::tf32, "tf32"}, {Precision::bf16, "bf16"}};
  for (const int size : {224, 180}) {
    for (const auto& [precision, precision_name] : precisions) {
      const std::string name = std::string("resnet50_train_") + precision_name + "_" +
                               std::to_string(size) + "_batch" + std::to_string(kBatch);
      benchmark::RegisterBenchmark(name.c_str(), BM_resnet50_training_step, size, kBatch, precision)
          ->UseManualTime()
          ->Iterations(5)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace ihd

int main(int argc, char** argv) {
  if (ihd::kernels::cuda::device_count() == 0) {
    std::printf("bench_train_cuda: no CUDA GPU on this machine, nothing to measure\n");
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  ihd::register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
