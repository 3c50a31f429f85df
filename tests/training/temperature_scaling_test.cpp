// Temperature scaling against scipy (the optimum of tests/fixtures/training/
// calibration_reference.txt's temperature cases, found by scipy.optimize.minimize_scalar and
// checked on a dense grid in scripts/make_training_metrics_reference.py), and its properties:
// T = 1 on calibrated data, T > 1 for over-confident logits, lower ECE after scaling, the
// ranking untouched, and the documented answers to degenerate inputs.
#include "apps/training/temperature_scaling.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "apps/training/calibration.h"
#include "apps/training/metrics.h"
#include "training/reference_fixture.h"

namespace ihd::training {

TEST_CASE("temperature scaling: the optimum matches scipy's to 1e-6") {
  const auto cases = load_reference("calibration_reference.txt");
  int temperature_cases = 0;
  for (const auto& [name, c] : cases) {
    if (!c.contains("logits")) continue;  // a calibration-metrics case
    ++temperature_cases;
    CAPTURE(name);
    const std::vector<double>& logits = c.at("logits")[0];
    const std::vector<int> labels = as_labels(c.at("labels")[0]);
    const double reference = c.at("temperature")[0][0];
    const TemperatureFit fit = fit_temperature(logits, labels);
    CHECK(fit.outcome == TemperatureFitOutcome::converged);
    CHECK(fit.iterations < 20);
    CHECK(std::abs(fit.temperature / reference - 1) < 1e-6);
    CHECK(fit.loss_at_unit_temperature ==
          doctest::Approx(c.at("loss_at_unit_temperature")[0][0]).epsilon(1e-12));
    // At the optimum the loss is flat: ours is no worse than scipy's.
    CHECK(fit.loss_at_temperature <= c.at("loss_at_temperature")[0][0] + 1e-14);
    CHECK(fit.loss_at_temperature <= fit.loss_at_unit_temperature);
    CHECK(fit.loss_at_temperature == temperature_scaled_loss(logits, labels, fit.temperature));
  }
  CHECK(temperature_cases == 3);
}

TEST_CASE("temperature scaling: over-confident logits give T > 1, under-confident T < 1") {
  const auto cases = load_reference("calibration_reference.txt");
  const ReferenceCase& over = cases.at("overconfident_400");
  const ReferenceCase& under = cases.at("underconfident_400");
  CHECK(fit_temperature(over.at("logits")[0], as_labels(over.at("labels")[0])).temperature > 1);
  CHECK(fit_temperature(under.at("logits")[0], as_labels(under.at("labels")[0])).temperature < 1);
}

TEST_CASE("temperature scaling: lowers ECE on over-confident logits and keeps the ranking") {
  const ReferenceCase c = load_reference("calibration_reference.txt").at("overconfident_400");
  const std::vector<double>& logits = c.at("logits")[0];
  const std::vector<int> labels = as_labels(c.at("labels")[0]);
  const TemperatureFit fit = fit_temperature(logits, labels);
  const std::vector<double> before = apply_temperature(logits, 1.0);
  const std::vector<double> after = apply_temperature(logits, fit.temperature);
  const double ece_before = calibration_summary(before, labels).expected_calibration_error;
  const double ece_after = calibration_summary(after, labels).expected_calibration_error;
  CAPTURE(ece_before);
  CAPTURE(ece_after);
  CHECK(ece_after < 0.7 * ece_before);
  CHECK(brier_score(after, labels) < brier_score(before, labels));
  CHECK(roc_auc(after, labels) == roc_auc(before, labels));
}

TEST_CASE("temperature scaling: calibrated data gives T = 1") {
  // 41 logits from -4 to 4, 1000 samples each, round(1000 * sigmoid(z)) of them positive: the
  // probabilities are the frequencies up to the rounding, and scipy puts the optimum at
  // 1 - 4.5e-4.
  std::vector<double> logits;
  std::vector<int> labels;
  for (int step = 0; step <= 40; ++step) {
    const double z = -4 + 0.2 * step;
    const long positives = std::lround(1000 / (1 + std::exp(-z)));
    for (int i = 0; i < 1000; ++i) {
      logits.push_back(z);
      labels.push_back(i < positives ? 1 : 0);
    }
  }
  const TemperatureFit fit = fit_temperature(logits, labels);
  CHECK(fit.outcome == TemperatureFitOutcome::converged);
  CHECK(fit.temperature == doctest::Approx(1.0).epsilon(1e-3));
}

TEST_CASE("temperature scaling: degenerate inputs") {
  // Refused, with the reason.
  CHECK_THROWS_WITH_AS(fit_temperature({}, {}), doctest::Contains("no sample"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fit_temperature(std::vector<double>{1, -2, 3}, std::vector<int>{1, 1, 1}),
                       doctest::Contains("only one class"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      fit_temperature(std::vector<double>{0.7, 0.7, 0.7}, std::vector<int>{0, 1, 1}),
      doctest::Contains("logits equal"), std::invalid_argument);
  CHECK_THROWS_AS(fit_temperature(std::vector<double>{1, std::numeric_limits<double>::infinity()},
                                  std::vector<int>{0, 1}),
                  std::invalid_argument);
  CHECK_THROWS_AS(fit_temperature(std::vector<double>{1, 2}, std::vector<int>{0, 2}),
                  std::invalid_argument);
  CHECK_THROWS_AS(apply_temperature(std::vector<double>{1}, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(temperature_scaled_loss(std::vector<double>{1}, std::vector<int>{1}, -1.0),
                  std::invalid_argument);

  // Perfectly separated: the loss falls toward T = 0; the fit stops at the lower bound.
  const std::vector<double> separated = {-3, -1, -0.5, 0.5, 2, 4};
  const std::vector<int> separated_labels = {0, 0, 0, 1, 1, 1};
  const TemperatureFit sharp = fit_temperature(separated, separated_labels);
  CHECK(sharp.outcome == TemperatureFitOutcome::at_lower_bound);
  CHECK(sharp.temperature == doctest::Approx(kMinTemperature));

  // Reversed: the loss falls toward T = infinity, where every probability is 0.5.
  const std::vector<int> reversed_labels = {1, 1, 0, 1, 0, 0};
  const TemperatureFit flat = fit_temperature(separated, reversed_labels);
  CHECK(flat.outcome == TemperatureFitOutcome::at_upper_bound);
  CHECK(flat.temperature == doctest::Approx(kMaxTemperature));
  CHECK(flat.loss_at_temperature == doctest::Approx(std::log(2.0)).epsilon(1e-2));
}

}  // namespace ihd::training
