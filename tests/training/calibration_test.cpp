// Calibration metrics against hand-computed cases and against scikit-learn's calibration_curve
// and brier_score_loss (tests/fixtures/training/calibration_reference.txt, written by
// scripts/make_training_metrics_reference.py): bins, ECE, MCE and Brier score to 1e-12.
#include "apps/training/calibration.h"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "training/reference_fixture.h"

namespace ihd::training {
namespace {

constexpr double kReferenceTolerance = 1e-12;

}  // namespace

TEST_CASE("calibration: bin edges are numpy's and an edge belongs to the bin below it") {
  const std::vector<double> scores = {0.0, 0.1, 0.3, 0.30000000000000004, 0.31, 0.6, 0.7, 1.0};
  const std::vector<int> labels = {0, 1, 0, 1, 1, 0, 1, 1};
  const ReliabilityDiagram diagram = reliability_diagram(scores, labels);
  CHECK(diagram.sample_count == 8);
  CHECK(diagram.bins[0].lower_edge == 0.0);
  CHECK(diagram.bins[3].lower_edge == 0.30000000000000004);  // 3 * 0.1, as numpy.linspace
  CHECK(diagram.bins[9].upper_edge == 1.0);
  CHECK(diagram.bins[0].count == 2);  // 0 and 0.1
  CHECK(diagram.bins[2].count == 2);  // 0.3 and 3 * 0.1 itself
  CHECK(diagram.bins[3].count == 1);  // 0.31
  CHECK(diagram.bins[5].count == 1);  // 0.6 <= 6 * 0.1
  CHECK(diagram.bins[6].count == 1);  // 0.7 <= 7 * 0.1
  CHECK(diagram.bins[9].count == 1);  // 1.0
  CHECK(diagram.bins[0].observed_positive_fraction == 0.5);
  CHECK(diagram.bins[0].mean_predicted == doctest::Approx(0.05));
  CHECK(diagram.bins[1].empty());
  CHECK(std::isnan(diagram.bins[1].mean_predicted));
  CHECK(std::isnan(diagram.bins[1].observed_positive_fraction));
}

TEST_CASE("calibration: ECE, MCE and Brier score on a hand-computed case") {
  // Bin 1 holds 0.2, 0.2 with one positive (gap 0.3); bin 8 holds 0.9 x 3, all positive
  // (gap 0.1). ECE = 2/5 * 0.3 + 3/5 * 0.1; MCE = 0.3.
  const std::vector<double> scores = {0.2, 0.2, 0.9, 0.9, 0.9};
  const std::vector<int> labels = {0, 1, 1, 1, 1};
  const CalibrationSummary summary = calibration_summary(scores, labels);
  CHECK(summary.expected_calibration_error == doctest::Approx(0.4 * 0.3 + 0.6 * 0.1));
  CHECK(summary.maximum_calibration_error == doctest::Approx(0.3));
  CHECK(summary.brier_score == doctest::Approx((0.04 + 0.64 + 3 * 0.01) / 5));

  const std::vector<double> perfect = {0.0, 1.0, 1.0};
  const std::vector<int> perfect_labels = {0, 1, 1};
  CHECK(calibration_summary(perfect, perfect_labels).expected_calibration_error == 0);
  CHECK(brier_score(perfect, perfect_labels) == 0);
}

TEST_CASE("calibration: no sample gives NaN, bad inputs are refused") {
  const CalibrationSummary empty = calibration_summary({}, {});
  CHECK(empty.diagram.sample_count == 0);
  CHECK(std::isnan(empty.expected_calibration_error));
  CHECK(std::isnan(empty.maximum_calibration_error));
  CHECK(std::isnan(empty.brier_score));
  const std::vector<int> labels = {0, 1};
  CHECK_THROWS_AS(reliability_diagram(std::vector<double>{0.5, 1.5}, labels),
                  std::invalid_argument);
  CHECK_THROWS_AS(brier_score(std::vector<double>{-0.1, 0.5}, labels), std::invalid_argument);
  CHECK_THROWS_AS(brier_score(std::vector<double>{std::nan(""), 0.5}, labels),
                  std::invalid_argument);
  CHECK_THROWS_AS(brier_score(std::vector<double>{0.5, 0.5}, std::vector<int>{0, 2}),
                  std::invalid_argument);
  CHECK_THROWS_AS(reliability_diagram(std::vector<double>{0.5}, labels), std::invalid_argument);
}

TEST_CASE("calibration: matches scikit-learn's calibration_curve and brier_score_loss") {
  const auto cases = load_reference("calibration_reference.txt");
  int calibration_cases = 0;
  for (const auto& [name, c] : cases) {
    if (!c.contains("scores")) continue;  // not a calibration-metrics case
    ++calibration_cases;
    CAPTURE(name);
    const std::vector<double>& scores = c.at("scores")[0];
    const std::vector<int> labels = as_labels(c.at("labels")[0]);
    const CalibrationSummary summary = calibration_summary(scores, labels);

    // scikit-learn's arrays hold the non-empty bins only, in bin order.
    const std::vector<double>& counts = c.at("bin_counts")[0];
    const std::vector<double>& prob_true = c.at("prob_true")[0];
    const std::vector<double>& prob_pred = c.at("prob_pred")[0];
    REQUIRE(counts.size() == kReliabilityBinCount);
    std::size_t non_empty = 0;
    for (int k = 0; k < kReliabilityBinCount; ++k) {
      const ReliabilityBin& bin = summary.diagram.bins[k];
      CAPTURE(k);
      CHECK(bin.count == static_cast<std::int64_t>(counts[k]));
      if (bin.empty()) continue;
      REQUIRE(non_empty < prob_true.size());
      CHECK(std::abs(bin.observed_positive_fraction - prob_true[non_empty]) <= kReferenceTolerance);
      CHECK(std::abs(bin.mean_predicted - prob_pred[non_empty]) <= kReferenceTolerance);
      ++non_empty;
    }
    CHECK(non_empty == prob_true.size());
    CHECK(std::abs(summary.expected_calibration_error - c.at("ece")[0][0]) <= kReferenceTolerance);
    CHECK(std::abs(summary.maximum_calibration_error - c.at("mce")[0][0]) <= kReferenceTolerance);
    CHECK(std::abs(summary.brier_score - c.at("brier")[0][0]) <= kReferenceTolerance);
  }
  CHECK(calibration_cases == 4);
}

}  // namespace ihd::training
