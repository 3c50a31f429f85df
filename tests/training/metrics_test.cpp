// Metrics against hand-computed small cases and against scikit-learn reference numbers
// (tests/fixtures/training/metrics_reference.txt, written by
// scripts/make_training_metrics_reference.py).
#include "apps/training/metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "training/reference_fixture.h"

namespace ihd::training {
namespace {

void check_close(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (std::isinf(expected[i])) {
      CHECK(std::isinf(actual[i]));
    } else {
      CHECK(actual[i] == doctest::Approx(expected[i]).epsilon(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("confusion counts and rates on a hand-computed case") {
  // threshold 0.5: predicted positive are 0.9, 0.6, 0.5 (>= is positive) and 0.7.
  const std::vector<double> scores = {0.9, 0.6, 0.5, 0.4, 0.2, 0.7, 0.1, 0.3};
  const std::vector<int> labels = {1, 1, 0, 1, 0, 0, 0, 0};
  const ThresholdMetrics m = metrics_at_threshold(scores, labels, 0.5);
  CHECK(m.counts.true_positive == 2);
  CHECK(m.counts.false_positive == 2);
  CHECK(m.counts.true_negative == 3);
  CHECK(m.counts.false_negative == 1);
  CHECK(m.accuracy == doctest::Approx(5.0 / 8));
  CHECK(m.precision == doctest::Approx(0.5));
  CHECK(m.recall == doctest::Approx(2.0 / 3));
  CHECK(m.specificity == doctest::Approx(0.6));
  CHECK(m.f1 == doctest::Approx(2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3)));
}

TEST_CASE("zero denominators give 0 and undefined areas give NaN") {
  const std::vector<double> scores = {0.1, 0.2, 0.3};
  const std::vector<int> negatives = {0, 0, 0};
  const ThresholdMetrics m = metrics_at_threshold(scores, negatives, 0.5);
  CHECK(m.precision == 0);
  CHECK(m.recall == 0);
  CHECK(m.f1 == 0);
  CHECK(m.specificity == 1);
  CHECK(accuracy(ConfusionCounts{}) == 0);
  CHECK(specificity(ConfusionCounts{}) == 0);
  CHECK(std::isnan(roc_auc(scores, negatives)));
  CHECK(std::isnan(average_precision(scores, negatives)));
  CHECK_FALSE(threshold_for_sensitivity(scores, negatives, 0.95).reachable);
  CHECK(std::isnan(log_loss(std::vector<double>{}, std::vector<int>{})));
}

TEST_CASE("bad inputs are refused") {
  const std::vector<double> scores = {0.1, 0.2};
  CHECK_THROWS_AS(roc_auc(scores, std::vector<int>{1}), std::invalid_argument);
  CHECK_THROWS_AS(roc_auc(scores, std::vector<int>{1, 2}), std::invalid_argument);
}

TEST_CASE("ROC AUC counts ties as one half (Mann-Whitney)") {
  // Pairs (positive, negative): (0.8,0.5) win, (0.8,0.8) tie, (0.5,0.5) tie, (0.5,0.8) loss.
  const std::vector<double> scores = {0.8, 0.5, 0.5, 0.8};
  const std::vector<int> labels = {1, 1, 0, 0};
  CHECK(roc_auc(scores, labels) == doctest::Approx((1 + 0.5 + 0.5 + 0) / 4));
}

TEST_CASE("average precision without interpolation") {
  // Descending: 0.9 (1), 0.8 (0), 0.7 (1), 0.6 (0). AP = 0.5 * 1 + 0.5 * 2/3.
  const std::vector<double> scores = {0.6, 0.7, 0.8, 0.9};
  const std::vector<int> labels = {0, 1, 0, 1};
  CHECK(average_precision(scores, labels) == doctest::Approx(0.5 + 0.5 * 2.0 / 3));
}

TEST_CASE("target-sensitivity threshold is the highest that reaches it") {
  const std::vector<double> scores = {0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1};
  const std::vector<int> labels = {1, 0, 1, 0, 1, 1, 0, 0};
  const SensitivityOperatingPoint point = threshold_for_sensitivity(scores, labels, 0.75);
  REQUIRE(point.reachable);
  CHECK(point.at_threshold.threshold == 0.6);  // 3 of 4 positives at >= 0.6
  CHECK(point.at_threshold.recall == doctest::Approx(0.75));
  CHECK(point.at_threshold.specificity == doctest::Approx(0.5));
  CHECK(threshold_for_sensitivity(scores, labels, 1.0).at_threshold.threshold == 0.3);
}

TEST_CASE("log losses clip probabilities at 1e-7") {
  const std::vector<double> scores = {1.0, 0.0};
  const std::vector<int> wrong = {0, 1};
  CHECK(log_loss(scores, wrong) == doctest::Approx(-std::log(1e-7)));
  const std::vector<double> half = {0.5, 0.5};
  CHECK(log_loss(half, wrong) == doctest::Approx(std::log(2.0)));

  // One row: label "any" wrong at p = 0.5, the five subtypes right at p = 0.5: all terms ln 2.
  const std::vector<RsnaRow> rows = {{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}};
  const std::vector<RsnaLabelRow> row_labels = {{0, 0, 1, 0, 0, 1}};
  CHECK(rsna_weighted_log_loss(rows, row_labels) == doctest::Approx(std::log(2.0)));
  // "any" alone wrong and confident: weight 2 of 7.
  const std::vector<RsnaRow> confident = {{0, 0, 0, 0, 0, 0}};
  const std::vector<RsnaLabelRow> any_only = {{0, 0, 0, 0, 0, 1}};
  const double clipped_term = -std::log(1 - 1e-7);
  CHECK(rsna_weighted_log_loss(confident, any_only) ==
        doctest::Approx((5 * clipped_term + 2 * -std::log(1e-7)) / 7));
}

TEST_CASE("per-patient aggregation takes the max score and any positive slice") {
  const std::vector<std::string> ids = {"ID_b", "ID_a", "ID_b", "ID_a", "ID_c"};
  const std::vector<double> scores = {0.2, 0.9, 0.7, 0.1, 0.4};
  const std::vector<int> labels = {0, 0, 1, 0, 0};
  const PatientScores patients = aggregate_by_patient(ids, scores, labels);
  CHECK(patients.patient_ids == std::vector<std::string>{"ID_a", "ID_b", "ID_c"});
  CHECK(patients.scores == std::vector<double>{0.9, 0.7, 0.4});
  CHECK(patients.labels == std::vector<int>{0, 1, 0});
}

TEST_CASE("metrics match scikit-learn on the reference cases") {
  const auto cases = load_reference("metrics_reference.txt");
  REQUIRE(cases.size() == 5);
  for (const auto& [name, c] : cases) {
    if (name == "rsna") continue;
    CAPTURE(name);
    const std::vector<double>& scores = c.at("scores")[0];
    const std::vector<int> labels = as_labels(c.at("labels")[0]);

    const ThresholdMetrics m = metrics_at_threshold(scores, labels, 0.5);
    const std::vector<double>& confusion = c.at("confusion_at_0.5")[0];
    CHECK(m.counts.true_negative == confusion[0]);
    CHECK(m.counts.false_positive == confusion[1]);
    CHECK(m.counts.false_negative == confusion[2]);
    CHECK(m.counts.true_positive == confusion[3]);
    CHECK(m.accuracy == doctest::Approx(c.at("accuracy")[0][0]).epsilon(1e-12));
    CHECK(m.precision == doctest::Approx(c.at("precision")[0][0]).epsilon(1e-12));
    CHECK(m.recall == doctest::Approx(c.at("recall")[0][0]).epsilon(1e-12));
    CHECK(m.specificity == doctest::Approx(c.at("specificity")[0][0]).epsilon(1e-12));
    CHECK(m.f1 == doctest::Approx(c.at("f1")[0][0]).epsilon(1e-12));

    CHECK(roc_auc(scores, labels) == doctest::Approx(c.at("roc_auc")[0][0]).epsilon(1e-12));
    CHECK(average_precision(scores, labels) ==
          doctest::Approx(c.at("average_precision")[0][0]).epsilon(1e-12));
    CHECK(log_loss(scores, labels) == doctest::Approx(c.at("log_loss")[0][0]).epsilon(1e-12));

    const RocCurve roc = roc_curve(scores, labels);
    check_close(roc.false_positive_rate, c.at("roc_fpr")[0]);
    check_close(roc.true_positive_rate, c.at("roc_tpr")[0]);
    check_close(roc.thresholds, c.at("roc_thresholds")[0]);
    const PrecisionRecallCurve pr = precision_recall_curve(scores, labels);
    check_close(pr.precision, c.at("pr_precision")[0]);
    check_close(pr.recall, c.at("pr_recall")[0]);
    check_close(pr.thresholds, c.at("pr_thresholds")[0]);

    for (const double target : {0.9, 0.95}) {
      const std::vector<double>& expected = c.at(target == 0.9 ? "target_0.9" : "target_0.95")[0];
      const SensitivityOperatingPoint point = threshold_for_sensitivity(scores, labels, target);
      REQUIRE(point.reachable);
      CHECK(point.at_threshold.threshold == expected[0]);
      CHECK(point.at_threshold.recall == doctest::Approx(expected[1]).epsilon(1e-12));
      CHECK(point.at_threshold.specificity == doctest::Approx(expected[2]).epsilon(1e-9));
    }

    const MetricSet set = compute_metric_set(scores, labels, 0.95);
    CHECK(set.sample_count == static_cast<std::int64_t>(scores.size()));
    CHECK(set.roc_auc == roc_auc(scores, labels));
    CHECK(set.pr_auc == average_precision(scores, labels));
    CHECK(set.at_target_sensitivity.at_threshold.threshold == c.at("target_0.95")[0][0]);
  }
}

TEST_CASE("RSNA weighted log loss matches scikit-learn's weighted per-label losses") {
  const ReferenceCase c = load_reference("metrics_reference.txt").at("rsna");
  std::vector<RsnaRow> rows;
  std::vector<RsnaLabelRow> labels;
  for (std::size_t r = 0; r < c.at("p").size(); ++r) {
    RsnaRow row{};
    RsnaLabelRow label{};
    for (std::size_t k = 0; k < kRsnaSubtypeCount; ++k) {
      row[k] = c.at("p")[r][k];
      label[k] = static_cast<int>(c.at("y")[r][k]);
    }
    rows.push_back(row);
    labels.push_back(label);
  }
  CHECK(rsna_weighted_log_loss(rows, labels) ==
        doctest::Approx(c.at("rsna_weighted_log_loss")[0][0]).epsilon(1e-12));
}

TEST_CASE("bootstrap intervals are seeded, bracket the estimate, and have binomial width") {
  // 2000 samples, 1000 positive: 800 caught, so sensitivity 0.8 with standard error
  // sqrt(0.8 * 0.2 / 1000) = 0.01265; the 95% interval should span about 2 * 1.96 * that.
  std::vector<double> scores;
  std::vector<int> labels;
  for (int i = 0; i < 1000; ++i) {
    labels.push_back(1);
    scores.push_back(i < 800 ? 0.6 + i * 1e-4 : 0.4 - i * 1e-4);
    labels.push_back(0);
    scores.push_back(i < 900 ? 0.3 - i * 1e-4 : 0.7 + i * 1e-5);
  }
  const BootstrapIntervals a = bootstrap_intervals(scores, labels, 0.5, 400, 7);
  const BootstrapIntervals b = bootstrap_intervals(scores, labels, 0.5, 400, 7);
  const BootstrapIntervals other_seed = bootstrap_intervals(scores, labels, 0.5, 400, 8);
  CHECK(a.sensitivity.lower == b.sensitivity.lower);
  CHECK(a.roc_auc.upper == b.roc_auc.upper);
  CHECK(a.sensitivity.lower != other_seed.sensitivity.lower);
  CHECK(a.sensitivity.estimate == doctest::Approx(0.8));
  CHECK(a.specificity.estimate == doctest::Approx(0.9));
  CHECK(a.roc_auc.estimate == doctest::Approx(roc_auc(scores, labels)));
  CHECK(a.roc_auc.valid_resamples == 400);
  for (const ConfidenceInterval& ci : {a.roc_auc, a.sensitivity, a.specificity}) {
    CHECK(ci.lower < ci.estimate);
    CHECK(ci.estimate < ci.upper);
  }
  const double sensitivity_width = 2 * 1.96 * std::sqrt(0.8 * 0.2 / 1000);
  CHECK(a.sensitivity.upper - a.sensitivity.lower ==
        doctest::Approx(sensitivity_width).epsilon(0.2));
  const double specificity_width = 2 * 1.96 * std::sqrt(0.9 * 0.1 / 1000);
  CHECK(a.specificity.upper - a.specificity.lower ==
        doctest::Approx(specificity_width).epsilon(0.2));
}

}  // namespace ihd::training
