// Op cases of the elementwise ops, the sums, the activations and the float32 <-> bfloat16 casts.
// float32 tolerance 1e-12: the same short formula on both backends (sums in double, in order);
// bfloat16 add: the same float32 sum rounded the same way.
#include <bit>
#include <cstring>

#include "op_case.h"

namespace ihd::op_cases {
namespace {

// 8 and 4097 elements: one whole 16-byte bfloat16 vector, whole vectors and a tail of one.
constexpr int64_t kElementCounts[] = {1, 7, 8, 4097, 1000003};
// ResNet-50's layer1 activations at 224 x 224, batch 64: the performance size.
const Shape kLayerActivation{64, 56, 56, 256};

// Float32 values exactly halfway between two bfloat16 values (low 16 bits 0x8000) with even and
// odd lower neighbours, both signs, just below and above halfway, a bfloat16 subnormal and 1;
// then uniform values.
std::vector<float> rounding_ties(int64_t n, std::mt19937& engine) {
  const uint32_t words[] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0xbf818000u, 0x3f807fffu,
                            0x3f808001u, 0x47fe8000u, 0x00418000u, 0x3f800000u};
  std::uniform_real_distribution<float> distribution(-3.0f, 3.0f);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = i < std::size(words) ? std::bit_cast<float>(words[i]) : distribution(engine);
  }
  return values;
}

}  // namespace

void add_arithmetic_cases(std::vector<OpCase>& cases) {
  for (const int64_t n : kElementCounts) {
    const Shape shape{n};
    const std::string size = " n " + std::to_string(n);
    cases.push_back({.family = "arithmetic",
                     .name = "add" + size,
                     .inputs = {{shape}, {shape, Role::activation, 0.5f, 2.0f}},
                     .run = [](const auto& in) { return std::vector{add(in[0], in[1])}; },
                     .bfloat16_tolerance = 1e-12});
    cases.push_back({.family = "arithmetic",
                     .name = "mul, scale" + size,
                     .inputs = {{shape}, {shape, Role::activation, 0.5f, 2.0f}},
                     .run = [](const auto& in) {
                       return std::vector{mul(in[0], in[1]), scale(in[0], -1.75f)};
                     }});
    cases.push_back({.family = "arithmetic",
                     .name = "sum, mean" + size,
                     .inputs = {{shape, Role::activation, 0.1f, 1.0f}},
                     .run = [](const auto& in) {
                       return std::vector{sum(in[0]), mean(in[0])};
                     }});
    cases.push_back({.family = "arithmetic",
                     .name = "relu, sigmoid" + size,
                     .inputs = {{shape, Role::activation, -4.0f, 4.0f}},
                     .run = [](const auto& in) {
                       return std::vector{relu(in[0]), sigmoid(in[0])};
                     }});
    // The input stays float32 in both modes (a parameter): the outputs are the same either way.
    cases.push_back({.family = "arithmetic",
                     .name = "cast float32 -> bfloat16 -> float32" + size,
                     .inputs = {{shape, Role::parameter, -3.0f, 3.0f,
                                 [n](std::mt19937& engine) { return rounding_ties(n, engine); }}},
                     .run = [](const auto& in) {
                       const Tensor narrow = cast(in[0], DType::bf16);
                       return std::vector{narrow, cast(narrow, DType::f32)};
                     }});
  }

  const Shape small{3, 5};
  cases.push_back(
      {.family = "arithmetic",
       .name = "add, mul, scale 3x5",
       .inputs = {{small}, {small}},
       .run =
           [](const auto& in) {
             return std::vector{add(in[0], in[1]), mul(in[0], in[1]), scale(in[0], -2.5f)};
           },
       .uses = kBackends | kGradients});
  cases.push_back({.family = "arithmetic",
                   .name = "sum, mean, reshape, flatten 3x5",
                   .inputs = {{small}},
                   .run =
                       [](const auto& in) {
                         return std::vector{reshape(sum(in[0]), Shape{1}),
                                            reshape(mean(in[0]), Shape{1}),
                                            flatten(reshape(in[0], Shape{3, 1, 5}))};
                       },
                   .uses = kBackends | kGradients});
  cases.push_back({.family = "arithmetic",
                   .name = "relu, sigmoid 4x7",
                   .inputs = {{Shape{4, 7}}},
                   .run =
                       [](const auto& in) {
                         return std::vector{relu(in[0]), sigmoid(in[0])};
                       },
                   .uses = kBackends | kGradients});

  cases.push_back({.family = "arithmetic",
                   .name = "add " + dims(kLayerActivation),
                   .inputs = {{kLayerActivation}, {kLayerActivation}},
                   .run = [](const auto& in) { return std::vector{add(in[0], in[1])}; },
                   .uses = kPerformance,
                   .bfloat16_tolerance = 1e-12});
  cases.push_back({.family = "arithmetic",
                   .name = "relu " + dims(kLayerActivation),
                   .inputs = {{kLayerActivation}},
                   .run = [](const auto& in) { return std::vector{relu(in[0])}; },
                   .uses = kPerformance});
  cases.push_back({.family = "arithmetic",
                   .name = "sum " + dims(kLayerActivation),
                   .inputs = {{kLayerActivation}},
                   .run = [](const auto& in) { return std::vector{sum(in[0])}; },
                   .uses = kPerformance});
}

}  // namespace ihd::op_cases
