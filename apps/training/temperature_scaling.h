// Temperature scaling (Guo et al. 2017): one number T > 0 that divides a model's logits before
// the sigmoid, fitted on a validation split so that probabilities match frequencies. It changes
// no ranking (AUC, sensitivity at a score rank are untouched) and only the confidence: T > 1
// softens an over-confident model, T < 1 sharpens an under-confident one. Pure functions: no
// engine, no I/O.
//
// The fit minimises the mean binary cross-entropy of sigmoid(z_i / T) against the labels y_i,
//   L(T) = (1/n) * sum [ softplus(z_i / T) - y_i * z_i / T ],
// computed from the logits directly (stable for any logit, no clipping). In s = 1/T the loss is
// convex, so in u = log T it has a single minimum: its derivative changes sign once. The search
// runs on u within [log kMinTemperature, log kMaxTemperature], from T = 1: Newton steps while
// they stay inside the current bracket of the sign change, bisection otherwise. It stops when a
// Newton step would move log T by less than kLogTemperatureTolerance (T to a relative 1e-12),
// when the bracket is narrower than that, or after kMaxTemperatureIterations (not reached in
// practice: bisection alone needs about 44).
//
// Degenerate inputs:
// - No sample, logits and labels of different lengths, a label not 0/1, a logit that is not
//   finite, only one class, or all logits equal: std::invalid_argument saying which. With one
//   class or one logit value there is nothing to calibrate against (the loss would only fit a
//   base rate, or fall without end as T -> 0).
// - Logits that separate the classes perfectly: the loss keeps falling as T -> 0; the result is
//   kMinTemperature with outcome at_lower_bound.
// - Logits with no (or reversed) information: the loss keeps falling as T -> infinity; the result
//   is kMaxTemperature with outcome at_upper_bound (every probability near 0.5).
#pragma once

#include <span>
#include <vector>

namespace ihd::training {

inline constexpr double kMinTemperature = 1e-3;
inline constexpr double kMaxTemperature = 1e3;
inline constexpr double kLogTemperatureTolerance = 1e-12;
inline constexpr int kMaxTemperatureIterations = 200;

enum class TemperatureFitOutcome {
  converged,       // the minimum lies inside the bounds
  at_lower_bound,  // the loss still falls at kMinTemperature (perfectly separated logits)
  at_upper_bound,  // the loss still falls at kMaxTemperature (uninformative logits)
};

struct TemperatureFit {
  double temperature = 1;
  TemperatureFitOutcome outcome = TemperatureFitOutcome::converged;
  int iterations = 0;
  double loss_at_unit_temperature = 0;  // L(1): the model as it is
  double loss_at_temperature = 0;       // L(temperature)
};

// The mean binary cross-entropy L(T) above; NaN with no sample. Checks its inputs as
// fit_temperature does, except that no sample, one class or equal logits are allowed;
// temperature must be > 0 and finite.
double temperature_scaled_loss(std::span<const double> logits, std::span<const int> labels,
                               double temperature);

TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int> labels);

// sigmoid(z / temperature) for each logit; temperature must be > 0 and finite.
std::vector<double> apply_temperature(std::span<const double> logits, double temperature);

}  // namespace ihd::training
