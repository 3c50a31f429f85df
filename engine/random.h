// Generator: a seeded, portable random source (64-bit Mersenne Twister with our own uniform and
// normal transforms, so that the same seed gives the same numbers with every standard library).
#pragma once

#include <cstdint>
#include <random>

#include "engine/tensor.h"

namespace ihd {

class Generator {
 public:
  explicit Generator(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1).
  double uniform();
  // Standard normal (Box-Muller).
  double normal();
  uint64_t next_u64() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// In-place initialisers of a float32 tensor (any device; values are drawn on the host).
void fill_normal(const Tensor& tensor, Generator& generator, float mean, float stddev);
void fill_uniform(const Tensor& tensor, Generator& generator, float low, float high);

}  // namespace ihd
