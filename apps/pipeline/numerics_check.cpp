// The scans behind --check-numerics: each tensor copied to the host as float32 and checked value by
// value; integer tensors (counters) cannot hold NaN and are skipped.
#include "apps/pipeline/numerics_check.h"

#include <cmath>
#include <vector>

namespace ihd::pipeline {
namespace {

std::optional<std::string> describe_non_finite(const std::string& what, const std::string& name,
                                               const Tensor& tensor) {
  if (!tensor.defined() || tensor.dtype() == DType::i64) return std::nullopt;
  const std::vector<float> values = tensor.to_vector();
  size_t bad = 0;
  float first_bad = 0;
  for (const float value : values) {
    if (!std::isfinite(value)) {
      if (bad++ == 0) first_bad = value;
    }
  }
  if (bad == 0) return std::nullopt;
  return what + " " + name + " holds " + (std::isnan(first_bad) ? "NaN" : "inf") + " (" +
         std::to_string(bad) + " of " + std::to_string(values.size()) + " values not finite)";
}

}  // namespace

std::optional<std::string> find_non_finite_gradient(const Module& model) {
  for (const auto& [name, parameter] : model.named_parameters()) {
    if (auto found = describe_non_finite("gradient of", name, parameter.grad())) return found;
  }
  return std::nullopt;
}

std::optional<std::string> find_non_finite_weight(const Module& model) {
  for (const auto& [name, tensor] : model.state()) {
    if (auto found = describe_non_finite("weight", name, tensor)) return found;
  }
  return std::nullopt;
}

}  // namespace ihd::pipeline
