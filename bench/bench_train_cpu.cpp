// End-to-end CPU throughput of ResNet-50 with one output, NHWC, on the shapes of
// bench/pytorch_cpu_reference.py: training images/s (forward + BCE loss + backward + SGD momentum
// step, after warm-up), inference images/s (eval mode, no_grad), and the peak memory of the
// training loop (the engine's allocator peak and the process's peak RSS).
// Usage: bench_train_cpu THREADS IMAGE_SIZE BATCH [TRAIN_SECONDS INFER_SECONDS] [--precision P]
// P is fp32 (the default) or bf16, as `ihd_train --precision`: bf16 holds an
// AutocastGuard(DType::bf16) over training and inference alike (engine/autocast.h), so that the
// convolutions compute in bfloat16 and the activations stay bfloat16 to the global average pool.
// Prints one line in the format bench/compare_cpu.sh parses. A plain timing loop, as the PyTorch
// script's, so that both sides measure the same thing.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/autocast.h"  // AutocastGuard
#include "engine/autograd.h"  // NoGradGuard
#include "engine/ops.h"       // binary_cross_entropy_with_logits
#include "engine/optim/optimizer.h"
#include "engine/random.h"
#include "engine/storage.h"  // memory_stats, reset_peak_memory
#include "kernels/cpu/threads.h"
#include "model/resnet.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Arguments {
  int threads = 0, image_size = 0, batch = 0;
  double train_seconds = 20.0, infer_seconds = 10.0;
  std::string precision = "fp32";  // or "bf16"
};

// The positional arguments in order, and --precision P anywhere among them; nullopt when the
// command line does not fit the usage.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
  Arguments arguments;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument != "--precision") {
      positional.push_back(argument);
    } else if (i + 1 < argc) {
      arguments.precision = argv[++i];
    } else {
      return std::nullopt;
    }
  }
  if (positional.size() != 3 && positional.size() != 5) return std::nullopt;
  if (arguments.precision != "fp32" && arguments.precision != "bf16") return std::nullopt;
  arguments.threads = std::stoi(positional[0]);
  arguments.image_size = std::stoi(positional[1]);
  arguments.batch = std::stoi(positional[2]);
  if (positional.size() == 5) {
    arguments.train_seconds = std::stod(positional[3]);
    arguments.infer_seconds = std::stod(positional[4]);
  }
  return arguments;
}

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
  const std::optional<Arguments> arguments = parse_arguments(argc, argv);
  if (!arguments) {
    std::fprintf(stderr,
                 "usage: %s THREADS IMAGE_SIZE BATCH [TRAIN_SECONDS INFER_SECONDS] "
                 "[--precision fp32|bf16]\n",
                 argv[0]);
    return 2;
  }
  const int threads = arguments->threads, size = arguments->image_size, batch = arguments->batch;
  ihd::kernels::cpu::set_num_threads(threads);
  // Training and inference both compute in the chosen precision, as in apps/pipeline/trainer.cpp.
  const ihd::AutocastGuard autocast(arguments->precision == "bf16" ? ihd::DType::bf16
                                                                   : ihd::DType::f32);

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
  const double train = images_per_second(train_step, batch, 2, arguments->train_seconds);
  const double engine_peak_mib =
      static_cast<double>(ihd::memory_stats(ihd::Device::cpu()).peak_bytes) / (1 << 20);
  const double rss_mib = peak_rss_mib();

  model.train(false);
  const auto infer_step = [&] {
    ihd::NoGradGuard no_grad;
    model.forward(images);
  };
  const double infer = images_per_second(infer_step, batch, 2, arguments->infer_seconds);

  std::printf(
      "ihd threads=%d precision=%s train_images_per_s=%.2f infer_images_per_s=%.2f "
      "peak_rss_mib=%.0f engine_peak_mib=%.0f\n",
      threads, arguments->precision.c_str(), train, infer, rss_mib, engine_peak_mib);
  return 0;
}
