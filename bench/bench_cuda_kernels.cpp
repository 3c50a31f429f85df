// Speed of the CUDA backend's kernels (Google Benchmark, GPU time from CUDA events):
//   - each hand-written kernel, as achieved GB/s (the bytes it must move: each input read once,
//     each output written once, plus its extra passes) and as a fraction of the card's measured
//     device-to-device copy bandwidth ("of_copy"; the target is 0.7 for batch norm and
//     the fused tails); batch norm and the fused tails also with bfloat16 activations ("_bf16":
//     2-byte activations, float32 statistics and parameters);
//   - cuDNN convolutions of every distinct ResNet-50 layer shape at 224 x 224, forward, backward
//     data and backward filter, as TFLOP/s, in true float32, with TF32 allowed, and in bfloat16
//     (float32 accumulation on tensor cores).
// Without a GPU it says so and exits 0. Usage: bench_cuda_kernels [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/memory.h"
#include "kernels/kernels.h"

namespace ihd {
namespace {

namespace cuda = kernels::cuda;
using kernels::Backend;

// Batch of the memory-bound benchmarks: activations of ResNet-50 at 224 x 224, batch 64.
constexpr int kBatch = 64;

// A device array of n elements of T (float or bfloat16), each `value`.
template <typename T>
class DeviceArrayOf {
 public:
  explicit DeviceArrayOf(int64_t n, float value = 0.5f)
      : data_(static_cast<T*>(cuda::device_allocate(sizeof(T) * n))) {
    if constexpr (std::is_same_v<T, float>) {
      kernels::fill<Backend::cuda>(n, value, data_);
    } else {
      const DeviceArrayOf<float> values(n, value);
      kernels::convert<Backend::cuda>(n, values.get(), data_);
    }
  }
  ~DeviceArrayOf() { cuda::device_release(data_); }
  DeviceArrayOf(const DeviceArrayOf&) = delete;
  DeviceArrayOf& operator=(const DeviceArrayOf&) = delete;
  T* get() const { return data_; }

 private:
  T* data_;
};
using DeviceArray = DeviceArrayOf<float>;

// Runs `launch` once untimed (warm-up, algorithm search), then times each iteration with CUDA
// events on the compute stream and reports GB/s for `bytes` moved and FLOP/s for `flops` per call.
template <typename Launch>
void time_on_gpu(benchmark::State& state, double bytes, double flops, Launch launch);

// Device-to-device copy bandwidth of this card (read + written bytes per second), measured once.
double copy_bytes_per_second() {
  static const double measured = [] {
    const int64_t n = int64_t{64} << 20;  // 256 MiB
    DeviceArray source(n), destination(n);
    cudaEvent_t start, stop;
    IHD_CUDA_CHECK(cudaEventCreate(&start));
    IHD_CUDA_CHECK(cudaEventCreate(&stop));
    IHD_CUDA_CHECK(cudaMemcpyAsync(destination.get(), source.get(), sizeof(float) * n,
                                   cudaMemcpyDeviceToDevice, cuda::compute_stream()));
    constexpr int kCopies = 20;
    IHD_CUDA_CHECK(cudaEventRecord(start, cuda::compute_stream()));
    for (int i = 0; i < kCopies; ++i) {
      IHD_CUDA_CHECK(cudaMemcpyAsync(destination.get(), source.get(), sizeof(float) * n,
                                     cudaMemcpyDeviceToDevice, cuda::compute_stream()));
    }
    IHD_CUDA_CHECK(cudaEventRecord(stop, cuda::compute_stream()));
    IHD_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    IHD_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return 2.0 * sizeof(float) * n * kCopies / (ms * 1e-3);
  }();
  return measured;
}

template <typename Launch>
void time_on_gpu(benchmark::State& state, double bytes, double flops, Launch launch) {
  launch();
  cuda::synchronize();
  cudaEvent_t start, stop;
  IHD_CUDA_CHECK(cudaEventCreate(&start));
  IHD_CUDA_CHECK(cudaEventCreate(&stop));
  double seconds = 0.0;
  for (auto _ : state) {
    IHD_CUDA_CHECK(cudaEventRecord(start, cuda::compute_stream()));
    launch();
    IHD_CUDA_CHECK(cudaEventRecord(stop, cuda::compute_stream()));
    IHD_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    IHD_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
    seconds += ms * 1e-3;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  const double calls = static_cast<double>(state.iterations());
  if (bytes > 0) {
    const double bytes_per_second = bytes * calls / seconds;
    state.counters["GB/s"] = bytes_per_second * 1e-9;
    state.counters["of_copy"] = bytes_per_second / copy_bytes_per_second();
  }
  if (flops > 0) state.counters["TFLOP/s"] = flops * calls / seconds * 1e-12;
}

// ---- the copy itself, for the table ----

void BM_device_copy(benchmark::State& state) {
  const int64_t n = int64_t{64} << 20;
  DeviceArray source(n), destination(n);
  time_on_gpu(state, 8.0 * n, 0, [&] {
    IHD_CUDA_CHECK(cudaMemcpyAsync(destination.get(), source.get(), sizeof(float) * n,
                                   cudaMemcpyDeviceToDevice, cuda::compute_stream()));
  });
}

// ---- elementwise ----

void BM_add(benchmark::State& state) {
  const int64_t n = int64_t{64} << 20;
  DeviceArray a(n), b(n), out(n);
  time_on_gpu(state, 12.0 * n, 0,
              [&] { kernels::add<Backend::cuda>(n, a.get(), b.get(), out.get()); });
}

void BM_relu_backward(benchmark::State& state) {
  const int64_t n = int64_t{64} << 20;
  DeviceArray y(n), dy(n), dx(n);
  time_on_gpu(state, 12.0 * n, 0,
              [&] { kernels::relu_backward<Backend::cuda>(n, y.get(), dy.get(), dx.get()); });
}

void BM_sum(benchmark::State& state) {
  const int64_t n = int64_t{64} << 20;
  DeviceArray x(n), total(1);
  time_on_gpu(state, 4.0 * n, 0, [&] { kernels::sum<Backend::cuda>(n, x.get(), total.get()); });
}

// ---- batch norm at ResNet-50 activation shapes (batch 64, 224 x 224 input) ----
// Arguments: height (= width), channels. T: the activations' type (float or bfloat16); the
// statistics and parameters are float32 either way (their bytes are negligible).

void batch_norm_args(benchmark::internal::Benchmark* b) {
  b->Args({112, 64})->Args({56, 256})->Args({28, 512})->Args({14, 1024})->Args({7, 2048});
}

template <typename T>
void BM_batch_norm_statistics(benchmark::State& state) {
  const int64_t rows = int64_t{kBatch} * state.range(0) * state.range(0);
  const int channels = static_cast<int>(state.range(1));
  DeviceArrayOf<T> x(rows * channels);
  DeviceArray mean(channels), invstd(channels);
  time_on_gpu(state, sizeof(T) * static_cast<double>(rows * channels), 0, [&] {
    kernels::batch_norm_statistics<Backend::cuda>(rows, channels, x.get(), 1e-5f, mean.get(),
                                                  invstd.get());
  });
}

// The bottleneck tail: y = relu(bn(x) + residual): reads x and residual, writes y.
template <typename T>
void BM_batch_norm_apply_residual_relu(benchmark::State& state) {
  const int64_t rows = int64_t{kBatch} * state.range(0) * state.range(0);
  const int channels = static_cast<int>(state.range(1));
  const int64_t n = rows * channels;
  DeviceArrayOf<T> x(n), residual(n), y(n);
  DeviceArray mean(channels), invstd(channels, 1.0f), gamma(channels), beta(channels);
  time_on_gpu(state, 3.0 * sizeof(T) * n, 0, [&] {
    kernels::batch_norm_apply<Backend::cuda>(rows, channels, x.get(), mean.get(), invstd.get(),
                                             gamma.get(), beta.get(), residual.get(), true,
                                             y.get());
  });
}

// Backward of the tail: the reduction pass reads x, y, dy; the elementwise pass reads them again
// and writes dx and dresidual.
template <typename T>
void BM_batch_norm_backward_residual_relu(benchmark::State& state) {
  const int64_t rows = int64_t{kBatch} * state.range(0) * state.range(0);
  const int channels = static_cast<int>(state.range(1));
  const int64_t n = rows * channels;
  DeviceArrayOf<T> x(n), y(n), dy(n), dx(n), dresidual(n);
  DeviceArray mean(channels), invstd(channels, 1.0f), gamma(channels), dgamma(channels),
      dbeta(channels);
  time_on_gpu(state, 8.0 * sizeof(T) * n, 0, [&] {
    kernels::batch_norm_backward_reduce<Backend::cuda>(rows, channels, x.get(), y.get(), dy.get(),
                                                       mean.get(), invstd.get(), true, dgamma.get(),
                                                       dbeta.get());
    kernels::batch_norm_backward_input<Backend::cuda>(
        rows, rows, channels, x.get(), y.get(), dy.get(), mean.get(), invstd.get(), gamma.get(),
        true, true, dgamma.get(), dbeta.get(), dx.get(), dresidual.get());
  });
}

// ---- pooling and the optimizer ----

kernels::Pool2dGeometry stem_pool() {
  kernels::Pool2dGeometry g;
  g.batch = kBatch;
  g.in_height = g.in_width = 112;
  g.channels = 64;
  return g;
}

void BM_max_pool_forward(benchmark::State& state) {
  const kernels::Pool2dGeometry g = stem_pool();
  const int64_t in = int64_t{g.batch} * g.in_height * g.in_width * g.channels;
  const int64_t out = int64_t{g.batch} * g.out_height() * g.out_width() * g.channels;
  DeviceArray x(in), y(out);
  time_on_gpu(state, 4.0 * (in + out), 0,
              [&] { kernels::max_pool2d_forward<Backend::cuda>(g, x.get(), y.get()); });
}

void BM_max_pool_backward(benchmark::State& state) {
  const kernels::Pool2dGeometry g = stem_pool();
  const int64_t in = int64_t{g.batch} * g.in_height * g.in_width * g.channels;
  const int64_t out = int64_t{g.batch} * g.out_height() * g.out_width() * g.channels;
  DeviceArray x(in), y(out), dy(out), dx(in);
  time_on_gpu(state, 4.0 * (2 * in + 2 * out), 0, [&] {
    kernels::max_pool2d_backward<Backend::cuda>(g, x.get(), y.get(), dy.get(), dx.get());
  });
}

void BM_global_avg_pool_forward(benchmark::State& state) {
  const int64_t pixels = 7 * 7, channels = 2048;
  DeviceArray x(kBatch * pixels * channels), y(kBatch * channels);
  time_on_gpu(state, 4.0 * kBatch * (pixels + 1) * channels, 0, [&] {
    kernels::global_avg_pool_forward<Backend::cuda>(kBatch, pixels, static_cast<int>(channels),
                                                    x.get(), y.get());
  });
}

// ResNet-50 has 25.6 million parameters; one tensor of that size bounds the per-step update.
constexpr int64_t kResNet50Parameters = 25'557'032;

void BM_adam_update(benchmark::State& state) {
  const int64_t n = kResNet50Parameters;
  DeviceArray param(n), grad(n), exp_avg(n), exp_avg_sq(n);
  kernels::AdamHyper hyper;
  time_on_gpu(state, 28.0 * n, 0, [&] {
    kernels::adam_update<Backend::cuda>(n, param.get(), grad.get(), exp_avg.get(), exp_avg_sq.get(),
                                        hyper);
  });
}

void BM_sgd_momentum_update(benchmark::State& state) {
  const int64_t n = kResNet50Parameters;
  DeviceArray param(n), grad(n), buffer(n);
  kernels::SgdHyper hyper;
  hyper.momentum = 0.9f;
  time_on_gpu(state, 20.0 * n, 0, [&] {
    kernels::sgd_update<Backend::cuda>(n, param.get(), grad.get(), buffer.get(), hyper, false);
  });
}

// Element counts of ResNet-50's 161 parameters: convolution weights, batch-norm scale and shift,
// the 1000-class fully connected layer; kResNet50Parameters in all.
std::vector<int64_t> resnet50_parameter_sizes() {
  std::vector<int64_t> sizes;
  const auto conv_bn = [&](int64_t in, int64_t out, int64_t kernel) {
    sizes.insert(sizes.end(), {out * in * kernel * kernel, out, out});
  };
  conv_bn(3, 64, 7);
  int64_t in = 64;
  const int blocks_per_stage[] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = int64_t{64} << stage, out = 4 * width;
    for (int block = 0; block < blocks_per_stage[stage]; ++block) {
      conv_bn(in, width, 1);
      conv_bn(width, width, 3);
      conv_bn(width, out, 1);
      if (block == 0) conv_bn(in, out, 1);
      in = out;
    }
  }
  sizes.insert(sizes.end(), {2048 * 1000, 1000});
  return sizes;
}

// ResNet-50's parameters, gradients and two state buffers (the momentum buffer or exp_avg, and
// exp_avg_sq), each parameter a slice of one device array per role that starts 256-byte aligned,
// as its own allocation would.
struct ResNet50Parameters {
  static std::vector<int64_t> aligned_offsets(const std::vector<int64_t>& sizes) {
    std::vector<int64_t> offsets = {0};
    for (const int64_t n : sizes) offsets.push_back(offsets.back() + (n + 63) / 64 * 64);
    return offsets;
  }

  std::vector<int64_t> sizes = resnet50_parameter_sizes();
  std::vector<int64_t> offsets = aligned_offsets(sizes);  // offsets.back(): the arrays' length
  DeviceArray param{offsets.back()}, grad{offsets.back()}, state_a{offsets.back()};
  DeviceArray state_b{offsets.back(), 0.01f};

  // Each update rule reads the state fields it needs.
  std::vector<kernels::ParameterSlice> slices() const {
    std::vector<kernels::ParameterSlice> slices(sizes.size());
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      slices[k].n = sizes[k];
      slices[k].param = param.get() + offsets[k];
      slices[k].grad = grad.get() + offsets[k];
      slices[k].momentum_buffer = slices[k].exp_avg = state_a.get() + offsets[k];
      slices[k].exp_avg_sq = state_b.get() + offsets[k];
    }
    return slices;
  }
};

// One optimizer step over ResNet-50's 161 parameters: SGD with momentum or AdamW, as one
// multi-tensor call (what the engine runs) or as one launch per parameter.
void BM_resnet50_optimizer_step(benchmark::State& state, bool adamw, bool multi_tensor) {
  const ResNet50Parameters parameters;
  const std::vector<kernels::ParameterSlice> slices = parameters.slices();
  const int count = static_cast<int>(slices.size());
  kernels::SgdHyper sgd;
  sgd.momentum = 0.9f;
  kernels::AdamHyper adam;
  adam.weight_decay = 0.01f;
  adam.decoupled_weight_decay = true;
  time_on_gpu(state, (adamw ? 28.0 : 20.0) * kResNet50Parameters, 0, [&] {
    if (multi_tensor) {
      if (adamw) {
        kernels::adam_update_many<Backend::cuda>(slices.data(), count, adam);
      } else {
        kernels::sgd_update_many<Backend::cuda>(slices.data(), count, sgd);
      }
      return;
    }
    for (const kernels::ParameterSlice& s : slices) {
      if (adamw) {
        kernels::adam_update<Backend::cuda>(s.n, s.param, s.grad, s.exp_avg, s.exp_avg_sq, adam);
      } else {
        kernels::sgd_update<Backend::cuda>(s.n, s.param, s.grad, s.momentum_buffer, sgd, false);
      }
    }
  });
}

// ---- cuDNN convolutions: every distinct ResNet-50 (v1.5) layer shape at 224 x 224 ----

struct ResNetConvolution {
  const char* name;
  int in_size, in_channels, out_channels, kernel, stride;
};
constexpr ResNetConvolution kResNetConvolutions[] = {
    {"stem_7x7", 224, 3, 64, 7, 2},
    {"l1_reduce_1x1", 56, 64, 64, 1, 1},
    {"l1_3x3", 56, 64, 64, 3, 1},
    {"l1_expand_1x1", 56, 64, 256, 1, 1},
    {"l1_reduce2_1x1", 56, 256, 64, 1, 1},
    {"l2_reduce_1x1", 56, 256, 128, 1, 1},
    {"l2_3x3_s2", 56, 128, 128, 3, 2},
    {"l2_expand_1x1", 28, 128, 512, 1, 1},
    {"l2_down_1x1_s2", 56, 256, 512, 1, 2},
    {"l2_reduce2_1x1", 28, 512, 128, 1, 1},
    {"l2_3x3", 28, 128, 128, 3, 1},
    {"l3_reduce_1x1", 28, 512, 256, 1, 1},
    {"l3_3x3_s2", 28, 256, 256, 3, 2},
    {"l3_expand_1x1", 14, 256, 1024, 1, 1},
    {"l3_down_1x1_s2", 28, 512, 1024, 1, 2},
    {"l3_reduce2_1x1", 14, 1024, 256, 1, 1},
    {"l3_3x3", 14, 256, 256, 3, 1},
    {"l4_reduce_1x1", 14, 1024, 512, 1, 1},
    {"l4_3x3_s2", 14, 512, 512, 3, 2},
    {"l4_expand_1x1", 7, 512, 2048, 1, 1},
    {"l4_down_1x1_s2", 14, 1024, 2048, 1, 2},
    {"l4_reduce2_1x1", 7, 2048, 512, 1, 1},
    {"l4_3x3", 7, 512, 512, 3, 1},
};

enum class Direction { forward, backward_data, backward_filter };
// fp32: true float32; tf32: float32 data, TF32 tensor cores; bf16: bfloat16 data, float32
// accumulation on tensor cores.
enum class Precision { fp32, tf32, bf16 };

// One call in `direction` on arrays of T (float: with no bias).
template <typename T>
void convolve(const kernels::Conv2dGeometry& g, Direction direction, T* x, T* w, T* y) {
  switch (direction) {
    case Direction::forward:
      if constexpr (std::is_same_v<T, float>) {
        kernels::conv2d_forward<Backend::cuda>(g, x, w, nullptr, y);
      } else {
        kernels::conv2d_forward<Backend::cuda>(g, x, w, y);
      }
      break;
    case Direction::backward_data:
      kernels::conv2d_backward_data<Backend::cuda>(g, y, w, x);
      break;
    case Direction::backward_filter:
      if constexpr (std::is_same_v<T, float>) {
        kernels::conv2d_backward_weight<Backend::cuda>(g, x, y, w, nullptr);
      } else {
        kernels::conv2d_backward_weight<Backend::cuda>(g, x, y, w);
      }
      break;
  }
}

template <typename T>
void time_convolution(benchmark::State& state, const kernels::Conv2dGeometry& g,
                      Direction direction) {
  const int64_t x_size = int64_t{g.batch} * g.in_height * g.in_width * g.in_channels;
  const int64_t y_size = int64_t{g.batch} * g.out_height() * g.out_width() * g.out_channels;
  const int64_t w_size = g.out_channels * g.patch_size();
  DeviceArrayOf<T> x(x_size), w(w_size), y(y_size);
  const double flops = 2.0 * y_size * g.patch_size();
  time_on_gpu(state, 0, flops, [&] { convolve(g, direction, x.get(), w.get(), y.get()); });
}

void BM_convolution(benchmark::State& state, ResNetConvolution layer, Direction direction,
                    Precision precision) {
  kernels::Conv2dGeometry g;
  g.batch = kBatch;
  g.in_height = g.in_width = layer.in_size;
  g.in_channels = layer.in_channels;
  g.out_channels = layer.out_channels;
  g.kernel_height = g.kernel_width = layer.kernel;
  g.stride = layer.stride;
  g.padding = layer.kernel / 2;
  cuda::set_tf32_allowed(precision == Precision::tf32);
  try {  // a shape cuDNN cannot run is one failed row, not the end of the run
    if (precision == Precision::bf16) {
      time_convolution<bfloat16>(state, g, direction);
    } else {
      time_convolution<float>(state, g, direction);
    }
  } catch (const cuda::CudaError& error) {
    state.SkipWithError(error.what());
  }
  cuda::set_tf32_allowed(false);
}

void register_benchmarks() {
  const auto gpu_timed = [](benchmark::internal::Benchmark* b) {
    return b->UseManualTime()->Unit(benchmark::kMicrosecond);
  };
  gpu_timed(benchmark::RegisterBenchmark("device_copy", BM_device_copy));
  gpu_timed(benchmark::RegisterBenchmark("add", BM_add));
  gpu_timed(benchmark::RegisterBenchmark("relu_backward", BM_relu_backward));
  gpu_timed(benchmark::RegisterBenchmark("sum", BM_sum));
  batch_norm_args(
      gpu_timed(benchmark::RegisterBenchmark("bn_statistics", BM_batch_norm_statistics<float>)));
  batch_norm_args(gpu_timed(benchmark::RegisterBenchmark(
      "bn_apply_residual_relu", BM_batch_norm_apply_residual_relu<float>)));
  batch_norm_args(gpu_timed(benchmark::RegisterBenchmark(
      "bn_backward_residual_relu", BM_batch_norm_backward_residual_relu<float>)));
  batch_norm_args(gpu_timed(
      benchmark::RegisterBenchmark("bn_statistics_bf16", BM_batch_norm_statistics<bfloat16>)));
  batch_norm_args(gpu_timed(benchmark::RegisterBenchmark(
      "bn_apply_residual_relu_bf16", BM_batch_norm_apply_residual_relu<bfloat16>)));
  batch_norm_args(gpu_timed(benchmark::RegisterBenchmark(
      "bn_backward_residual_relu_bf16", BM_batch_norm_backward_residual_relu<bfloat16>)));
  gpu_timed(benchmark::RegisterBenchmark("max_pool_forward", BM_max_pool_forward));
  gpu_timed(benchmark::RegisterBenchmark("max_pool_backward", BM_max_pool_backward));
  gpu_timed(benchmark::RegisterBenchmark("global_avg_pool_forward", BM_global_avg_pool_forward));
  gpu_timed(benchmark::RegisterBenchmark("adam_update", BM_adam_update));
  gpu_timed(benchmark::RegisterBenchmark("sgd_momentum_update", BM_sgd_momentum_update));
  for (const bool adamw : {false, true}) {
    for (const bool multi_tensor : {true, false}) {
      const std::string name = std::string("resnet50_") + (adamw ? "adamw" : "sgd_momentum") +
                               "_step_" + (multi_tensor ? "multi_tensor" : "per_parameter");
      gpu_timed(benchmark::RegisterBenchmark(name.c_str(), BM_resnet50_optimizer_step, adamw,
                                             multi_tensor));
    }
  }
  const std::pair<Direction, const char*> directions[] = {
      {Direction::forward, "fwd"},
      {Direction::backward_data, "bwd_data"},
      {Direction::backward_filter, "bwd_filter"}};
  const std::pair<Precision, const char*> precisions[] = {
      {Precision::fp32, "fp32"}, {Precision::tf32, "tf32"}, {Precision::bf16, "bf16"}};
  for (const auto& [precision, precision_name] : precisions) {
    for (const ResNetConvolution& layer : kResNetConvolutions) {
      for (const auto& [direction, direction_name] : directions) {
        const std::string name =
            std::string("conv_") + precision_name + "_" + layer.name + "_" + direction_name;
        gpu_timed(benchmark::RegisterBenchmark(name.c_str(), BM_convolution, layer, direction,
                                               precision));
      }
    }
  }
}

}  // namespace
}  // namespace ihd

int main(int argc, char** argv) {
  if (ihd::kernels::cuda::device_count() == 0) {
    std::printf("bench_cuda_kernels: no CUDA GPU on this machine, nothing to measure\n");
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  ihd::register_benchmarks();
  std::printf("device-to-device copy bandwidth: %.0f GB/s (read + written)\n",
              ihd::copy_bytes_per_second() * 1e-9);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
