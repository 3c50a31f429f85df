// A small, fast, seedable random generator (SplitMix64) with the few distributions the data layer
// needs. Chosen over <random> because its sequences are identical on every platform and compiler,
// which the determinism of the phantoms, splits and augmentation relies on.
#pragma once

#include <cmath>
#include <cstdint>

namespace ihd::data {

class Random {
 public:
  explicit Random(std::uint64_t seed)
      : state_(seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * unit(); }
  int integer(int low, int high_inclusive) {
    return low + static_cast<int>(next() % static_cast<std::uint64_t>(high_inclusive - low + 1));
  }
  bool chance(double probability) { return unit() < probability; }
  // Approximately standard normal (Irwin-Hall sum of four uniforms): cheap enough per pixel.
  float fast_normal() {
    const std::uint64_t bits = next();
    const float sum = static_cast<float>(bits & 0xffff) +
                      static_cast<float>((bits >> 16) & 0xffff) +
                      static_cast<float>((bits >> 32) & 0xffff) + static_cast<float>(bits >> 48);
    return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
  }

 private:
  std::uint64_t state_;
};

}  // namespace ihd::data
