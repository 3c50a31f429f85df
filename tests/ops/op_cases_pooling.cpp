// Op cases of max pooling (windows that overlap, stride 1, odd sizes; inputs with ties, which go
// to the first maximum) and global average pooling (bfloat16 in, float32 features out).
// Tolerances: max pooling only moves values (and adds the same gradients in the same order):
// float32 1e-12, bfloat16 0; the average pool sums in the same order on both sides: 1e-12.
#include "kernels/geometry.h"
#include "op_case.h"

namespace ihd::op_cases {
namespace {

// batch, in_height, in_width, channels, kernel, stride, padding
constexpr kernels::Pool2dGeometry kMaxPools[] = {
    {2, 112, 112, 64, 3, 2, 1},  // the stem's pool
    {1, 7, 9, 5, 3, 2, 1},       // odd sizes
    {3, 6, 6, 3, 2, 2, 0},       // non-overlapping
    {2, 5, 5, 11, 3, 1, 1},      // stride 1: each input in up to 9 windows
};

// Few distinct values, exact in bfloat16 and none zero, so that windows hold ties.
std::vector<float> levels(int64_t n, std::mt19937& engine) {
  std::uniform_int_distribution<int> level(-4, 4);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (float& value : values) value = 0.5f * static_cast<float>(level(engine)) + 0.25f;
  return values;
}

OpCase max_pool_case(const Shape& shape, MaxPool2dOptions options, bool ties, unsigned uses) {
  OpCase op_case{
      .family = "pooling",
      .name = std::string("max_pool2d ") + (ties ? "with ties " : "") + dims(shape) + ", " +
              std::to_string(options.kernel) + "/" + std::to_string(options.stride) + " p" +
              std::to_string(options.padding),
      .inputs = {{shape}},
      .run = [options](const auto& in) { return std::vector{max_pool2d(in[0], options)}; },
      .uses = uses,
      .bfloat16_tolerance = 0.0};
  if (ties) {
    const int64_t n = shape.numel();
    op_case.inputs[0].values = [n](std::mt19937& engine) { return levels(n, engine); };
  }
  return op_case;
}

OpCase global_pool_case(const Shape& shape, unsigned uses) {
  return {.family = "pooling",
          .name = "global_avg_pool " + dims(shape),
          .inputs = {{shape}},
          .run = [](const auto& in) { return std::vector{global_avg_pool(in[0])}; },
          .uses = uses,
          .bfloat16_tolerance = 1e-12};
}

}  // namespace

void add_pooling_cases(std::vector<OpCase>& cases) {
  for (const kernels::Pool2dGeometry& g : kMaxPools) {
    cases.push_back(max_pool_case(Shape{g.batch, g.in_height, g.in_width, g.channels},
                                  MaxPool2dOptions{g.kernel, g.stride, g.padding}, true,
                                  kBackends));
  }
  const Shape small{2, 7, 6, 3};
  cases.push_back(max_pool_case(small, MaxPool2dOptions{}, false, kBackends | kGradients));
  cases.push_back(max_pool_case(small, MaxPool2dOptions{2, 2, 0}, false, kBackends | kGradients));
  cases.push_back(max_pool_case(Shape{64, 112, 112, 64}, MaxPool2dOptions{}, false, kPerformance));

  for (const Shape& shape : {Shape{2, 7, 7, 2048}, Shape{1, 1, 1, 3}, Shape{3, 3, 5, 13}}) {
    cases.push_back(global_pool_case(shape, kBackends));
  }
  cases.push_back(global_pool_case(small, kBackends | kGradients));
  cases.push_back(global_pool_case(Shape{64, 7, 7, 2048}, kPerformance));
}

}  // namespace ihd::op_cases
