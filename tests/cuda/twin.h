// Helpers of the CPU-versus-CUDA op table: a Twin is one float array that exists on both
// backends with the same contents (a BfTwin the same in bfloat16); a test writes each kernel call
// once, as IHD_ON_BACKEND(side, kernel, args...) (kernels/backend.h) in a loop over
// kBothBackends; expect_close compares a twin's two copies by normalised error, as float32 values.
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

#include "kernels/bfloat16.h"
#include "kernels/cuda/memory.h"
#include "kernels/kernels.h"

namespace ihd::cuda_test {

using kernels::Backend;
constexpr Backend kBothBackends[] = {Backend::cpu, Backend::cuda};

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

constexpr int64_t kGuardElements = 64;

// Elements of a twin from and to float32: float as is, bfloat16 rounded to nearest even.
template <typename T>
T element_from_float(float value);
template <>
inline float element_from_float<float>(float value) {
  return value;
}
template <>
inline bfloat16 element_from_float<bfloat16>(float value) {
  return to_bfloat16(value);
}
inline float element_as_float(float value) {
  return value;
}
inline float element_as_float(bfloat16 value) {
  return to_float(value);
}

// T: float (Twin) or bfloat16 (BfTwin).
template <typename T>
class BasicTwin {
 public:
  // Values uniform in [low, high] (choose a range without zero, or accept that exact zeros are
  // improbable), rounded to T, identical on both sides.
  static BasicTwin random(int64_t n, std::mt19937& engine, float low = -1.0f, float high = 1.0f) {
    std::uniform_real_distribution<float> distribution(low, high);
    std::vector<T> values(static_cast<std::size_t>(n));
    for (T& value : values) value = element_from_float<T>(distribution(engine));
    return BasicTwin(values);
  }
  // An output: NaN on both sides.
  static BasicTwin poisoned(int64_t n) {
    return BasicTwin(std::vector<T>(static_cast<std::size_t>(n), nan()));
  }

  explicit BasicTwin(std::vector<T> values) : host_(std::move(values)) {
    const std::size_t bytes = sizeof(T) * (host_.size() + kGuardElements);
    device_ = static_cast<T*>(kernels::cuda::device_allocate(bytes));
    std::vector<T> with_guard = host_;
    with_guard.resize(host_.size() + kGuardElements, nan());
    kernels::cuda::copy_bytes(device_, true, with_guard.data(), false, bytes);
  }
  ~BasicTwin() {
    if (device_) kernels::cuda::device_release(device_);
  }
  BasicTwin(BasicTwin&& other) noexcept : host_(std::move(other.host_)), device_(other.device_) {
    other.device_ = nullptr;
  }
  BasicTwin(const BasicTwin&) = delete;
  BasicTwin& operator=(const BasicTwin&) = delete;
  BasicTwin& operator=(BasicTwin&&) = delete;

  T* operator[](Backend side) { return side == Backend::cuda ? device_ : host_.data(); }
  int64_t size() const { return static_cast<int64_t>(host_.size()); }
  const std::vector<T>& cpu_values() const { return host_; }
  // The GPU copy, guard zone included.
  std::vector<T> cuda_values_with_guard() const {
    std::vector<T> values(host_.size() + kGuardElements);
    kernels::cuda::copy_bytes(values.data(), false, device_, true, sizeof(T) * values.size());
    return values;
  }

 private:
  static T nan() { return element_from_float<T>(std::numeric_limits<float>::quiet_NaN()); }

  std::vector<T> host_;
  T* device_ = nullptr;
};
using Twin = BasicTwin<float>;
using BfTwin = BasicTwin<bfloat16>;

// float32 values of a twin's elements.
template <typename T>
std::vector<float> as_floats(const std::vector<T>& values) {
  std::vector<float> result(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) result[i] = element_as_float(values[i]);
  return result;
}

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
template <typename T>
void expect_close(const std::string& name, const BasicTwin<T>& output, double tolerance) {
  const std::vector<float> gpu = as_floats(output.cuda_values_with_guard());
  const double error = normalised_error(as_floats(output.cpu_values()), gpu.data());
  INFO(name << ": normalised error " << error << " (tolerance " << tolerance << ")");
  CHECK(error <= tolerance);
  bool guard_intact = true;
  for (int64_t i = output.size(); i < output.size() + kGuardElements; ++i) {
    guard_intact = guard_intact && std::isnan(gpu[static_cast<std::size_t>(i)]);
  }
  INFO(name << ": the CUDA kernel wrote past the end of its output");
  CHECK(guard_intact);
}

}  // namespace ihd::cuda_test
