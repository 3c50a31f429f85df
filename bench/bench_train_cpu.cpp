// End-to-end CPU throughput of ResNet-50 with one output, float32, NHWC, on the shapes of
// bench/pytorch_cpu_reference.py: training images/s (forward + BCE loss + backward + SGD momentum
// step, after warm-up), inference images/s (eval mode, no_grad), and the peak memory of the
// training loop (the engine's allocator peak and the process's peak RSS).
// Usage: bench_train_cpu THREADS IMAGE_SIZE BATCH [TRAIN_SECONDS INFER_SECONDS]
// Prints one line in the format bench/compare_cpu.sh parses. A plain timing loop, as the PyTorch
// script's, so that both sides measure the same thing.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "engine/autograd.h"  // NoGradGuard
#include "engine/ops.h"       // binary_cross_entropy_with_logits
#include "engine/optim/optimizer.h"
#include "engine/random.h"
#include "engine/storage.h"  // memory_stats, reset_peak_memory
#include "kernels/cpu/threads.h"
#include "model/resnet.h"

namespace {

using Clock = std::chrono::steady_clock;

// Runs step `warmup` times, then for at least `seconds` (and at least twice); images per second.
double images_per_second(const std::function<void()>& step, int batch, int warmup, double seconds) {
  for (int i = 0; i < warmup; ++i) step();
  int count = 0;
  const auto start = Clock::now();
  double elapsed = 0.0;
  while (elapsed < seconds || count < 2) {
    step();
    ++count;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return batch * count / elapsed;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) {
    std::fprintf(stderr, "usage: %s THREADS IMAGE_SIZE BATCH [TRAIN_SECONDS INFER_SECONDS]\n",
                 argv[0]);
    return 2;
  }
  const int threads = std::stoi(argv[1]), size = std::stoi(argv[2]), batch = std::stoi(argv[3]);
  const double train_seconds = argc == 6 ? std::stod(argv[4]) : 20.0;
  const double infer_seconds = argc == 6 ? std::stod(argv[5]) : 10.0;
  ihd::kernels::cpu::set_num_threads(threads);

  ihd::ResNetConfig config = ihd::resnet_config(50);
  config.input_channels = 3;
  config.num_outputs = 1;
  ihd::ResNet model(config);
  ihd::Random generator(0);
  const ihd::Tensor images = ihd::Tensor::empty(ihd::Shape{batch, size, size, 3});
  ihd::fill_uniform(images, generator, 0.0f, 1.0f);
  const ihd::Tensor labels = ihd::Tensor::empty(ihd::Shape{batch, 1});
  ihd::fill_uniform(labels, generator, 0.0f, 1.0f);
  ihd::Sgd optimizer(model.named_parameters(), {.lr = 1e-3f, .momentum = 0.9f});

  model.train(true);
  const auto train_step = [&] {
    optimizer.zero_grad();
    ihd::binary_cross_entropy_with_logits(model.forward(images), labels).backward();
    optimizer.step();
  };
  train_step();  // creates the optimizer state, so that the peak below is a steady step's
  ihd::reset_peak_memory(ihd::Device::cpu());
  const double train = images_per_second(train_step, batch, 2, train_seconds);
  const double engine_peak_mib =
      static_cast<double>(ihd::memory_stats(ihd::Device::cpu()).peak_bytes) / (1 << 20);
  const double rss_mib = peak_rss_mib();

  model.train(false);
  const auto infer_step = [&] {
    ihd::NoGradGuard no_grad;
    model.forward(images);
  };
  const double infer = images_per_second(infer_step, batch, 2, infer_seconds);

  std::printf(
      "ihd threads=%d train_images_per_s=%.2f infer_images_per_s=%.2f peak_rss_mib=%.0f "
      "engine_peak_mib=%.0f\n",
      threads, train, infer, rss_mib, engine_peak_mib);
  return 0;
}
