// Generator and the random initialisers.
#include "engine/random.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace ihd {

double Generator::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double Generator::normal() {
  const double u1 = 1.0 - uniform();  // in (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void fill_normal(const Tensor& tensor, Generator& generator, float mean, float stddev) {
  std::vector<float> values(static_cast<std::size_t>(tensor.numel()));
  for (float& value : values) value = static_cast<float>(mean + stddev * generator.normal());
  copy_bytes(tensor.data(), tensor.device(), values.data(), Device::cpu(), tensor.bytes());
}

void fill_uniform(const Tensor& tensor, Generator& generator, float low, float high) {
  std::vector<float> values(static_cast<std::size_t>(tensor.numel()));
  for (float& value : values) value = static_cast<float>(low + (high - low) * generator.uniform());
  copy_bytes(tensor.data(), tensor.device(), values.data(), Device::cpu(), tensor.bytes());
}

}  // namespace ihd
