// Op cases of batch normalisation with its fused tail, y = relu(bn(x) + residual): training (batch
// statistics, the running statistics updated in place) and evaluation, with and without the
// residual and the ReLU; synchronised over replicas; on NHWC and on [N, C] input.
// Tolerances: float32 1e-10 (per-channel sums in another order); bfloat16 1e-5 (y and dx round
// float32 values that can straddle a rounding boundary: one bfloat16 step, 2^-8 relative). With
// batch statistics and the ReLU, 1e-4 for both: each backend's backward masks with its own y,
// and where a pre-ReLU value lies within the statistics' last-bit difference of 0 (about one
// element in 10^7) the mask flips and that element's gradient differs by all of it, about 1/n of
// the whole; n >= 10^5 for the shapes where such a flip is likely. A wrong kernel is off by
// order 1.
#include "kernels/elementwise.h"
#include "op_case.h"

namespace ihd::op_cases {
namespace {

constexpr double kReduced = 1e-10;
constexpr double kOneRounding = 1e-5;
constexpr double kMaskFlip = 1e-4;

const Shape kShapes[] = {
    {1, 1, 2, 3},       // tiny (less than one bfloat16 vector)
    {5, 7, 7, 13},      // 13 channels (bfloat16 vectors span rows)
    {1, 7, 7, 2048},    // layer4 at batch 1
    {2, 112, 112, 64},  // stem
    {2, 56, 56, 256},   // layer1 expansion
    {2, 14, 14, 1024},  // layer3 expansion
};

// The performance shapes: ResNet-50 at 224 x 224, batch 64.
const Shape kResNet50Shapes[] = {
    {64, 112, 112, 64}, {64, 56, 56, 256}, {64, 28, 28, 512}, {64, 14, 14, 1024}, {64, 7, 7, 2048}};

// A stand-in for the sum across 3 replicas that each hold this same batch: every value times 3,
// on the values' own device.
ReplicaSum three_identical_replicas(Device device) {
  const auto backend = device.is_cuda() ? kernels::Backend::cuda : kernels::Backend::cpu;
  return [backend](float* values, int64_t count) {
    IHD_ON_BACKEND(backend, scale, count, values, 3.0f, values);
  };
}

enum class Statistics { batch, running, synchronised };

OpCase batch_norm_case(const Shape& shape, Statistics statistics, bool residual, bool relu,
                       unsigned uses, float x_low = 2.0f, float x_high = 4.0f) {
  const int64_t channels = shape[shape.rank() - 1];
  const char* mode = statistics == Statistics::batch     ? "training"
                     : statistics == Statistics::running ? "evaluation"
                                                         : "training, 3 synchronised replicas";
  // x far from zero relative to its spread: the case that breaks a naive one-pass variance.
  OpCase op_case{.family = "batch norm",
                 .name = std::string("batch_norm ") + mode + (residual ? ", residual" : "") +
                         (relu ? ", relu " : " ") + dims(shape),
                 .inputs = {{shape, Role::activation, x_low, x_high},
                            {Shape{channels}, Role::parameter, 0.5f, 1.5f},
                            {Shape{channels}, Role::parameter, -0.5f, 0.5f},
                            {Shape{channels}, Role::constant, 2.5f, 3.5f},
                            {Shape{channels}, Role::constant, 0.5f, 2.0f}},
                 .uses = uses,
                 .float32_tolerance = kReduced,
                 .bfloat16_tolerance = kOneRounding};
  if (residual) op_case.inputs.push_back({shape});
  if (relu && statistics != Statistics::running) {
    op_case.float32_tolerance = kMaskFlip;
    op_case.bfloat16_tolerance = kMaskFlip;
  }
  op_case.run = [statistics, relu](const std::vector<Tensor>& in) {
    BatchNormOptions options;
    options.training = statistics != Statistics::running;
    options.relu = relu;
    if (statistics == Statistics::synchronised) {
      options.replica_sum = three_identical_replicas(in[0].device());
    }
    return std::vector{
        batch_norm(in[0], in[1], in[2], in[3], in[4], options, in.size() > 5 ? in[5] : Tensor())};
  };
  return op_case;
}

}  // namespace

void add_batch_norm_cases(std::vector<OpCase>& cases) {
  for (const Shape& shape : kShapes) {
    for (const Statistics statistics : {Statistics::batch, Statistics::running}) {
      for (const bool residual : {false, true}) {
        for (const bool relu : {false, true}) {
          cases.push_back(batch_norm_case(shape, statistics, residual, relu, kBackends));
        }
      }
    }
  }
  for (const Shape& shape : {Shape{5, 7, 7, 13}, Shape{2, 28, 28, 128}}) {
    cases.push_back(batch_norm_case(shape, Statistics::synchronised, true, true, kBackends));
  }
  for (const Statistics statistics : {Statistics::batch, Statistics::running}) {
    for (const bool fused : {false, true}) {
      cases.push_back(
          batch_norm_case(Shape{3, 3, 2, 5}, statistics, fused, fused, kGradients, -2.0f, 2.0f));
    }
  }
  cases.push_back(batch_norm_case(Shape{6, 4}, Statistics::batch, false, false,
                                  kBackends | kGradients, -1.0f, 1.0f));
  for (const Shape& shape : kResNet50Shapes) {
    cases.push_back(batch_norm_case(shape, Statistics::batch, true, true, kPerformance));
  }
}

}  // namespace ihd::op_cases
