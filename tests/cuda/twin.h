// Helpers of the CPU-versus-CUDA op table: a Twin is one float array that exists on both
// backends with the same contents; IHD_ON_SIDE runs one kernel call on either backend, so that a
// test writes each call once; expect_close compares a Twin's two copies by normalised error.
// Outputs start poisoned (NaN) and carry a NaN guard zone after their end on the GPU, so that an
// element a kernel forgets, or a write past the end, shows up as a failure.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/kernels.h"
#include "kernels/cuda/kernels.h"

namespace ihd::cuda_test {

enum class Side { cpu, cuda };
constexpr Side kBothSides[] = {Side::cpu, Side::cuda};

// IHD_ON_SIDE(side, kernel(args)): kernels::cpu::kernel or kernels::cuda::kernel.
#define IHD_ON_SIDE(side, call)                   \
  do {                                            \
    if ((side) == ::ihd::cuda_test::Side::cuda) { \
      ::ihd::kernels::cuda::call;                 \
    } else {                                      \
      ::ihd::kernels::cpu::call;                  \
    }                                             \
  } while (0)

inline bool gpu_present() {
  return kernels::cuda::device_count() > 0;
}

// First line of every case: without a GPU the case reports itself skipped (ctest shows it as
// Skipped through SKIP_REGULAR_EXPRESSION, see CMakeLists.txt) and returns.
#define IHD_SKIP_WITHOUT_GPU()                                                    \
  do {                                                                            \
    if (!::ihd::cuda_test::gpu_present()) {                                       \
      MESSAGE("SKIPPED (no CUDA GPU): "                                           \
              << std::string(doctest::getContextOptions()->currentTest->m_name)); \
      return;                                                                     \
    }                                                                             \
  } while (0)

constexpr int64_t kGuardFloats = 64;

class Twin {
 public:
  // Values uniform in [low, high] (choose a range without zero, or accept that exact zeros are
  // improbable), identical on both sides.
  static Twin random(int64_t n, std::mt19937& engine, float low = -1.0f, float high = 1.0f) {
    std::uniform_real_distribution<float> distribution(low, high);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& value : values) value = distribution(engine);
    return Twin(values);
  }
  // An output: NaN on both sides.
  static Twin poisoned(int64_t n) {
    return Twin(
        std::vector<float>(static_cast<std::size_t>(n), std::numeric_limits<float>::quiet_NaN()));
  }

  explicit Twin(std::vector<float> values) : host_(std::move(values)) {
    const std::size_t bytes = sizeof(float) * (host_.size() + kGuardFloats);
    device_ = static_cast<float*>(kernels::cuda::device_allocate(bytes));
    std::vector<float> with_guard = host_;
    with_guard.resize(host_.size() + kGuardFloats, std::numeric_limits<float>::quiet_NaN());
    kernels::cuda::copy_bytes(device_, true, with_guard.data(), false, bytes);
  }
  ~Twin() {
    if (device_) kernels::cuda::device_release(device_);
  }
  Twin(Twin&& other) noexcept : host_(std::move(other.host_)), device_(other.device_) {
    other.device_ = nullptr;
  }
  Twin(const Twin&) = delete;
  Twin& operator=(const Twin&) = delete;
  Twin& operator=(Twin&&) = delete;

  float* operator[](Side side) { return side == Side::cuda ? device_ : host_.data(); }
  int64_t size() const { return static_cast<int64_t>(host_.size()); }
  const std::vector<float>& cpu_values() const { return host_; }
  // The GPU copy, guard zone included.
  std::vector<float> cuda_values_with_guard() const {
    std::vector<float> values(host_.size() + kGuardFloats);
    kernels::cuda::copy_bytes(values.data(), false, device_, true, sizeof(float) * values.size());
    return values;
  }

 private:
  std::vector<float> host_;
  float* device_ = nullptr;
};

// sum (reference - value)^2 / sum reference^2; infinite if either holds a NaN; the plain sum of
// squares when the reference is all zeros.
inline double normalised_error(const std::vector<float>& reference, const float* values) {
  double difference = 0.0, magnitude = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    if (std::isnan(reference[i]) || std::isnan(values[i])) {
      return std::numeric_limits<double>::infinity();
    }
    const double delta = static_cast<double>(reference[i]) - values[i];
    difference += delta * delta;
    magnitude += static_cast<double>(reference[i]) * reference[i];
  }
  return magnitude > 0.0 ? difference / magnitude : difference;
}

// Checks that the CUDA copy of `output` matches the CPU copy within `tolerance` (normalised
// error) and that nothing was written past its end.
inline void expect_close(const std::string& name, const Twin& output, double tolerance) {
  const std::vector<float> gpu = output.cuda_values_with_guard();
  const double error = normalised_error(output.cpu_values(), gpu.data());
  INFO(name << ": normalised error " << error << " (tolerance " << tolerance << ")");
  CHECK(error <= tolerance);
  bool guard_intact = true;
  for (int64_t i = output.size(); i < output.size() + kGuardFloats; ++i) {
    guard_intact = guard_intact && std::isnan(gpu[static_cast<std::size_t>(i)]);
  }
  INFO(name << ": the CUDA kernel wrote past the end of its output");
  CHECK(guard_intact);
}

}  // namespace ihd::cuda_test
