// Temperature scaling; see temperature_scaling.h for the loss, the search and the degenerate
// cases. With u = log T, s = 1/T, a_i = s * z_i and p_i = sigmoid(a_i):
//   dL/du   = -(1/n) * sum (p_i - y_i) * a_i
//   d2L/du2 =  (1/n) * sum [ (p_i - y_i) * a_i + p_i * (1 - p_i) * a_i^2 ].
#include "apps/training/temperature_scaling.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "apps/training/metrics.h"

namespace ihd::training {
namespace {

double sigmoid(double a) {
  if (a >= 0) return 1.0 / (1.0 + std::exp(-a));
  const double e = std::exp(a);
  return e / (1.0 + e);
}

// log(1 + e^a) without overflow.
double softplus(double a) {
  return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a)));
}

void check_logits(std::span<const double> logits, std::span<const int> labels) {
  check_scores_and_labels(logits, labels);
  for (const double logit : logits) {
    if (!std::isfinite(logit)) {
      throw std::invalid_argument("temperature scaling: logit " + std::to_string(logit) +
                                  " is not finite");
    }
  }
}

void check_temperature(double temperature) {
  if (!(temperature > 0 && std::isfinite(temperature))) {
    throw std::invalid_argument("temperature scaling: temperature " + std::to_string(temperature) +
                                " is not a positive number");
  }
}

struct Derivatives {
  double slope = 0;      // dL/du
  double curvature = 0;  // d2L/du2
};

Derivatives derivatives_at(std::span<const double> logits, std::span<const int> labels,
                           double log_temperature) {
  const double inverse_temperature = std::exp(-log_temperature);
  double residual_sum = 0;   // sum (p - y) * a
  double curvature_sum = 0;  // sum p * (1 - p) * a^2
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double a = inverse_temperature * logits[i];
    // p - y, written so that a confident right answer keeps its precision (1 - p = sigmoid(-a)).
    const double residual = labels[i] == 1 ? -sigmoid(-a) : sigmoid(a);
    residual_sum += residual * a;
    curvature_sum += sigmoid(a) * sigmoid(-a) * a * a;
  }
  const auto n = static_cast<double>(logits.size());
  return {-residual_sum / n, (residual_sum + curvature_sum) / n};
}

}  // namespace

double temperature_scaled_loss(std::span<const double> logits, std::span<const int> labels,
                               double temperature) {
  check_logits(logits, labels);
  check_temperature(temperature);
  if (logits.empty()) return kNotANumber;
  double sum = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double a = logits[i] / temperature;
    sum += softplus(a) - labels[i] * a;
  }
  return sum / static_cast<double>(logits.size());
}

TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int> labels) {
  check_logits(logits, labels);
  if (logits.empty()) throw std::invalid_argument("temperature scaling: no sample to fit on");
  const auto positives = std::count(labels.begin(), labels.end(), 1);
  if (positives == 0 || positives == static_cast<std::ptrdiff_t>(labels.size())) {
    throw std::invalid_argument("temperature scaling: the labels hold only one class (" +
                                std::to_string(labels.size()) +
                                " samples); a temperature needs both to be fitted");
  }
  const auto [lowest, highest] = std::minmax_element(logits.begin(), logits.end());
  if (*lowest == *highest) {
    throw std::invalid_argument("temperature scaling: all " + std::to_string(logits.size()) +
                                " logits equal " + std::to_string(*lowest) +
                                "; they rank nothing and a temperature would only fit the base "
                                "rate");
  }

  TemperatureFit fit;
  double low = std::log(kMinTemperature);
  double high = std::log(kMaxTemperature);
  double log_temperature = 0;
  if (derivatives_at(logits, labels, low).slope >= 0) {
    fit.outcome = TemperatureFitOutcome::at_lower_bound;
    log_temperature = low;
  } else if (derivatives_at(logits, labels, high).slope <= 0) {
    fit.outcome = TemperatureFitOutcome::at_upper_bound;
    log_temperature = high;
  } else {
    while (fit.iterations < kMaxTemperatureIterations) {
      ++fit.iterations;
      const Derivatives d = derivatives_at(logits, labels, log_temperature);
      if (d.slope == 0) break;
      (d.slope > 0 ? high : low) = log_temperature;
      // Newton where the loss curves upward (NaN otherwise, which fails every comparison).
      const double newton_step = d.curvature > 0 ? -d.slope / d.curvature : kNotANumber;
      if (std::abs(newton_step) < kLogTemperatureTolerance) {
        log_temperature += newton_step;
        break;
      }
      const double newton = log_temperature + newton_step;
      log_temperature = newton > low && newton < high ? newton : 0.5 * (low + high);
      if (high - low < kLogTemperatureTolerance) break;
    }
  }
  fit.temperature = std::exp(log_temperature);
  fit.loss_at_unit_temperature = temperature_scaled_loss(logits, labels, 1.0);
  fit.loss_at_temperature = temperature_scaled_loss(logits, labels, fit.temperature);
  return fit;
}

std::vector<double> apply_temperature(std::span<const double> logits, double temperature) {
  check_temperature(temperature);
  std::vector<double> probabilities;
  probabilities.reserve(logits.size());
  for (const double logit : logits) probabilities.push_back(sigmoid(logit / temperature));
  return probabilities;
}

}  // namespace ihd::training
