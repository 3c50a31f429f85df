// Random: the one seedable random generator of ihd (SplitMix64), with the few distributions its
// users need: weight initialisation (engine), phantoms, splits and augmentation (data). Chosen
// over <random> because its sequences are identical on every platform, compiler and standard
// library, which the determinism of initialisation, data order and resume relies on.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace ihd {

// SplitMix64's output function at state `value`: a well-mixed 64-bit hash, for deriving the
// seeds of independent streams (one per epoch, per image, per patient).
inline std::uint64_t mix_seed(std::uint64_t value) {
  std::uint64_t z = value + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Random {
 public:
  explicit Random(std::uint64_t seed)
      : state_(seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) {}

  std::uint64_t next() {
    const std::uint64_t value = mix_seed(state_);
    state_ += 0x9e3779b97f4a7c15ull;
    return value;
  }
  // Uniform in [0, 1), 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * unit(); }
  // Uniform in [0, count) for count > 0 (modulo bias below 2^-40 for counts under 2^24).
  std::uint64_t below(std::uint64_t count) { return next() % count; }
  int integer(int low, int high_inclusive) {
    return low + static_cast<int>(below(static_cast<std::uint64_t>(high_inclusive - low + 1)));
  }
  bool chance(double probability) { return unit() < probability; }
  // Standard normal (Box-Muller), exact enough for weight initialisation.
  double normal() {
    const double u1 = 1.0 - unit();  // in (0, 1]
    const double u2 = unit();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
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

}  // namespace ihd
