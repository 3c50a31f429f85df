// The random initialisers.
#include "engine/random.h"

#include <vector>

namespace ihd {

void fill_normal(const Tensor& tensor, Random& random, float mean, float stddev) {
  std::vector<float> values(static_cast<std::size_t>(tensor.numel()));
  for (float& value : values) value = static_cast<float>(mean + stddev * random.normal());
  copy_bytes(tensor.data(), tensor.device(), values.data(), Device::cpu(), tensor.bytes());
  tensor.mark_modified();
}

void fill_uniform(const Tensor& tensor, Random& random, float low, float high) {
  std::vector<float> values(static_cast<std::size_t>(tensor.numel()));
  for (float& value : values) value = static_cast<float>(random.uniform(low, high));
  copy_bytes(tensor.data(), tensor.device(), values.data(), Device::cpu(), tensor.bytes());
  tensor.mark_modified();
}

}  // namespace ihd
