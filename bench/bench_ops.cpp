// The performance mode of the op cases (tests/ops/op_case.h): every case marked kPerformance
// (ResNet-50's layer shapes at 224 x 224, batch 64; the study model's sequence shapes; optimizer
// steps over ResNet-50's parameters), on each backend this build and machine have (the CPU; CUDA
// when a GPU is present), in float32 and, where the op has one, bfloat16. Two timings per case:
//   forward   the op alone, recording no graph;
//   training  the op and the backward of its projected loss (op_case.h; the loss adds a cast, a
//             product and a sum over the outputs), gradients cleared before each call.
// Each is wall time per call with the device synchronised after it (Google Benchmark, real time),
// reported with:
//   GB/s      the bytes the call must move at least: every input read and every output written
//             once (training: that, plus the saved inputs read again, the output gradients read
//             and the input gradients written), per second;
//   of_copy   (CUDA) that as a fraction of the card's device-to-device copy bandwidth, measured
//             and printed first (the target is 0.7 for batch norm and the fused tails);
//   TFLOP/s   where the case gives its flops (training counts the backward as twice the forward).
// CPU threads: the CPU backend's default (kernels/cpu/threads.h). Usage: bench_ops
// [--benchmark_filter=REGEX], names "<device>/<type>/<forward|training>/<case name>", e.g.
// --benchmark_filter='cuda/bf16/training/batch_norm'.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "op_case.h"

namespace ihd {
namespace {

using op_cases::OpCase;

double bytes_of(const std::vector<Tensor>& tensors) {
  double bytes = 0.0;
  for (const Tensor& tensor : tensors) bytes += static_cast<double>(tensor.bytes());
  return bytes;
}

double gradient_bytes(const std::vector<Tensor>& inputs) {
  double bytes = 0.0;
  for (const Tensor& input : inputs) {
    if (input.grad().defined()) bytes += static_cast<double>(input.grad().bytes());
  }
  return bytes;
}

// Device-to-device copy bandwidth of the GPU (bytes read + written per second), measured once.
double copy_bytes_per_second() {
  static const double measured = [] {
    const Shape shape{int64_t{64} << 20};  // 256 MiB of float32
    const Tensor source = Tensor::zeros(shape, Device::cuda());
    Tensor destination = Tensor::empty(shape, Device::cuda());
    destination.copy_from(source);
    synchronize(Device::cuda());
    constexpr int kCopies = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCopies; ++i) destination.copy_from(source);
    synchronize(Device::cuda());
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    return 2.0 * static_cast<double>(source.bytes()) * kCopies / seconds.count();
  }();
  return measured;
}

// Times `call` (one forward, or one forward + backward) over the state's iterations; the total
// seconds.
template <typename Call>
double time_calls(benchmark::State& state, Device device, Call call) {
  call();  // warm-up: caches, algorithm searches, prepared weights
  synchronize(device);
  double total = 0.0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    call();
    synchronize(device);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(seconds.count());
    total += seconds.count();
  }
  return total;
}

void report(benchmark::State& state, Device device, double seconds, double bytes, double flops) {
  const double calls_per_second = static_cast<double>(state.iterations()) / seconds;
  state.counters["GB/s"] = bytes * calls_per_second * 1e-9;
  if (device.is_cuda())
    state.counters["of_copy"] = bytes * calls_per_second / copy_bytes_per_second();
  if (flops > 0.0) state.counters["TFLOP/s"] = flops * calls_per_second * 1e-12;
}

void BM_forward(benchmark::State& state, const OpCase* op_case, Device device, DType type) {
  const std::vector<Tensor> inputs = op_cases::make_inputs(*op_case, type, device);
  const NoGradGuard no_graph;
  std::vector<Tensor> outputs;
  const double seconds = time_calls(state, device, [&] { outputs = op_case->run(inputs); });
  report(state, device, seconds, bytes_of(inputs) + bytes_of(outputs), op_case->flops);
}

void BM_training(benchmark::State& state, const OpCase* op_case, Device device, DType type) {
  const std::vector<Tensor> inputs = op_cases::make_inputs(*op_case, type, device);
  std::vector<Tensor> outputs, projections;
  const double seconds = time_calls(state, device, [&] {
    for (const Tensor& input : inputs) input.zero_grad();
    outputs = op_cases::run_forward_and_backward(*op_case, inputs, &projections);
  });
  const double bytes = 2.0 * (bytes_of(inputs) + bytes_of(outputs)) + gradient_bytes(inputs);
  report(state, device, seconds, bytes, 3.0 * op_case->flops);
}

bool differentiable(const OpCase& op_case) {
  return std::any_of(op_case.inputs.begin(), op_case.inputs.end(),
                     [](const op_cases::OpInput& input) { return input.gets_gradient(); });
}

void register_benchmarks() {
  std::vector<Device> devices = {Device::cpu()};
  if (cuda_available()) {
    devices.push_back(Device::cuda());
    std::printf("cuda device-to-device copy: %.1f GB/s (read + written)\n",
                copy_bytes_per_second() * 1e-9);
  }
  for (const OpCase& op_case : op_cases::all_op_cases()) {
    if (!(op_case.uses & op_cases::kPerformance)) continue;
    for (const Device device : devices) {
      for (const DType type : {DType::f32, DType::bf16}) {
        if (type == DType::bf16 && !op_case.bfloat16_tolerance) continue;
        const std::string prefix = std::string(device.is_cuda() ? "cuda/" : "cpu/") +
                                   (type == DType::bf16 ? "bf16/" : "fp32/");
        benchmark::RegisterBenchmark((prefix + "forward/" + op_case.name).c_str(), BM_forward,
                                     &op_case, device, type)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        if (!differentiable(op_case)) continue;
        benchmark::RegisterBenchmark((prefix + "training/" + op_case.name).c_str(), BM_training,
                                     &op_case, device, type)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace
}  // namespace ihd

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ihd::register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
