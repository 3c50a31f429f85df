#!/usr/bin/python3
"""Writes the independent reference that tests/training/metrics_test.cpp checks ihd's metrics
against, computed with Debian's scikit-learn and numpy (run with /usr/bin/python3):
tests/fixtures/training/metrics_reference.txt.

Format: one "case NAME" block per data set, closed by "end"; each line inside is a key followed by
whitespace-separated numbers. Keys: scores, labels, confusion_at_0.5 (tn fp fn tp), accuracy,
precision, recall, specificity, f1 (all at threshold 0.5, zero_division=0), roc_auc,
average_precision, log_loss, roc_fpr/roc_tpr/roc_thresholds (drop_intermediate=False; the first
threshold, which scikit-learn sets to max + 1, is written as inf), pr_precision/pr_recall/
pr_thresholds, and target_0.9 / target_0.95 (threshold, sensitivity, specificity: the highest
threshold whose recall >= target, found from scikit-learn's ROC curve).
An "rsna" block holds six-label rows (p_*, y_*) and the weighted log loss: the mean of
scikit-learn's per-label log losses weighted 1,1,1,1,1,2.

It also writes tests/fixtures/training/calibration_reference.txt, in the same format, that
tests/training/calibration_test.cpp and temperature_scaling_test.cpp read:
- calibration cases (scores, labels): bin_counts (all ten uniform bins, counted here by explicit
  comparisons with numpy.linspace's edges, bin 0 closed below), prob_true and prob_pred
  (scikit-learn's calibration_curve(n_bins=10, strategy='uniform'): non-empty bins only), ece and
  mce (from those, weighted by the counts) and brier (brier_score_loss);
- temperature cases (logits, labels): temperature, the T > 0 minimising the mean binary
  cross-entropy of sigmoid(logit / T), found by scipy.optimize.minimize_scalar on log T with the
  loss written with numpy.logaddexp, and checked against a dense grid; loss_at_temperature and
  loss_at_unit_temperature.

Usage: /usr/bin/python3 scripts/make_training_metrics_reference.py [REPO_ROOT]
"""
import os
import sys

import numpy as np
from scipy import optimize
from sklearn import metrics
from sklearn.calibration import calibration_curve


def line(key, values):
    return key + " " + " ".join(repr(float(v)) if not isinstance(v, str) else v for v in values)


def binary_case(name, scores, labels):
    out = [f"case {name}", line("scores", scores), "labels " + " ".join(str(int(v)) for v in labels)]
    predicted = (scores >= 0.5).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    out.append(f"confusion_at_0.5 {tn} {fp} {fn} {tp}")
    out.append(line("accuracy", [metrics.accuracy_score(labels, predicted)]))
    out.append(line("precision", [metrics.precision_score(labels, predicted, zero_division=0)]))
    out.append(line("recall", [metrics.recall_score(labels, predicted, zero_division=0)]))
    out.append(line("specificity",
                    [metrics.recall_score(1 - labels, 1 - predicted, zero_division=0)]))
    out.append(line("f1", [metrics.f1_score(labels, predicted, zero_division=0)]))
    out.append(line("roc_auc", [metrics.roc_auc_score(labels, scores)]))
    out.append(line("average_precision", [metrics.average_precision_score(labels, scores)]))
    # Scores stay inside [0.001, 0.999], so scikit-learn's clipping and ours (1e-7) agree.
    out.append(line("log_loss", [metrics.log_loss(labels, scores)]))
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores, drop_intermediate=False)
    out.append(line("roc_fpr", fpr))
    out.append(line("roc_tpr", tpr))
    out.append(line("roc_thresholds", ["inf"] + list(thresholds[1:])))
    precision, recall, pr_thresholds = metrics.precision_recall_curve(labels, scores)
    out.append(line("pr_precision", precision))
    out.append(line("pr_recall", recall))
    out.append(line("pr_thresholds", pr_thresholds))
    for target in (0.9, 0.95):
        first = int(np.argmax(tpr[1:] >= target)) + 1
        out.append(line(f"target_{target}", [thresholds[first], tpr[first], 1 - fpr[first]]))
    out.append("end")
    return out


def rsna_case(rng):
    rows = 40
    labels = (rng.random((rows, 6)) < 0.25).astype(int)
    labels[:, 5] = labels[:, :5].max(axis=1)
    probabilities = np.clip(0.6 * labels + 0.4 * rng.random((rows, 6)), 0.001, 0.999)
    losses = [metrics.log_loss(labels[:, k], probabilities[:, k], labels=[0, 1]) for k in range(6)]
    out = ["case rsna"]
    for row in range(rows):
        out.append(line("p", probabilities[row]))
        out.append("y " + " ".join(str(v) for v in labels[row]))
    out.append(line("rsna_weighted_log_loss", [np.average(losses, weights=[1, 1, 1, 1, 1, 2])]))
    out.append("end")
    return out


def int_line(key, values):
    return key + " " + " ".join(str(int(v)) for v in values)


def calibration_case(name, scores, labels):
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=int)
    prob_true, prob_pred = calibration_curve(labels, scores, n_bins=10, strategy="uniform")
    edges = np.linspace(0.0, 1.0, 11)
    counts = np.array([np.sum((scores >= edges[0]) & (scores <= edges[1]))] +
                      [np.sum((scores > edges[k]) & (scores <= edges[k + 1])) for k in range(1, 10)])
    assert counts.sum() == len(scores) and np.count_nonzero(counts) == len(prob_true)
    gaps = np.abs(prob_true - prob_pred)
    ece = np.sum(counts[counts > 0] / len(scores) * gaps)
    return [f"case {name}", line("scores", scores), int_line("labels", labels),
            int_line("bin_counts", counts), line("prob_true", prob_true),
            line("prob_pred", prob_pred), line("ece", [ece]), line("mce", [gaps.max()]),
            line("brier", [metrics.brier_score_loss(labels, scores)]), "end"]


def temperature_loss(temperature, logits, labels):
    scaled = logits / temperature
    return np.mean(np.logaddexp(0.0, scaled) - labels * scaled)


def temperature_case(name, logits, labels):
    bounds = (np.log(1e-3), np.log(1e3))
    found = optimize.minimize_scalar(lambda u: temperature_loss(np.exp(u), logits, labels),
                                     bounds=bounds, method="bounded",
                                     options={"xatol": 1e-10, "maxiter": 1000})
    assert found.success
    temperature = float(np.exp(found.x))
    grid = temperature * np.exp(np.linspace(-0.05, 0.05, 100001))  # steps of 1e-6 in log T
    grid_best = grid[np.argmin([temperature_loss(t, logits, labels) for t in grid])]
    assert abs(grid_best / temperature - 1) < 2e-6, (name, grid_best, temperature)
    return [f"case {name}", line("logits", logits), int_line("labels", labels),
            line("temperature", [temperature]),
            line("loss_at_temperature", [temperature_loss(temperature, logits, labels)]),
            line("loss_at_unit_temperature", [temperature_loss(1.0, logits, labels)]), "end"]


def calibration_reference(rng):
    lines = []
    # Exact edges (0, 0.1, 0.3, 0.6, 0.7, 1: an edge belongs to the bin below it), ties, and the
    # bins (0.3, 0.4] and (0.7, 0.8] left empty.
    scores = [0.0, 0.0, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.3, 0.45, 0.5, 0.5, 0.5, 0.55, 0.6, 0.6,
              0.65, 0.7, 0.7, 0.9, 0.95, 1.0, 1.0, 1.0]
    labels = [0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    lines += calibration_case("edges_and_ties", scores, labels)
    lines += calibration_case("only_negatives", [0.0, 0.05, 0.1, 0.5, 0.5, 0.92, 1.0], [0] * 7)
    lines += calibration_case("only_positives", [0.0, 0.31, 0.5, 0.77, 0.99, 1.0], [1] * 6)
    truth = rng.beta(0.7, 1.2, 600)
    labels = (rng.random(600) < truth).astype(int)
    scores = np.sqrt(truth)  # over-confident toward positive, as a miscalibrated model is
    scores[:200] = np.round(scores[:200], 1)  # ties on the edges
    lines += calibration_case("random_600", scores, labels)

    truth = rng.normal(0.0, 1.5, 400)
    labels = (rng.random(400) < 1 / (1 + np.exp(-truth))).astype(int)
    lines += temperature_case("overconfident_400", 2.5 * truth, labels)
    lines += temperature_case("underconfident_400", 0.4 * truth, labels)
    truth = rng.normal(-1.5, 2.0, 300)
    labels = (rng.random(300) < 1 / (1 + np.exp(-truth))).astype(int)
    lines += temperature_case("imbalanced_300", 1.7 * truth + rng.normal(0.0, 0.3, 300), labels)
    return lines


def write_fixture(root, name, lines):
    path = os.path.join(root, "tests", "fixtures", "training", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    rng = np.random.default_rng(20240611)
    lines = []

    labels = (rng.random(200) < 0.3).astype(int)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.001, 0.999)
    lines += binary_case("continuous_200", scores, labels)

    labels = (rng.random(300) < 0.5).astype(int)
    scores = np.clip(np.round(rng.normal(0.4 + 0.2 * labels, 0.2), 1), 0.1, 0.9)
    lines += binary_case("ties_300", scores, labels)

    labels = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0])
    scores = np.round(rng.random(20) * 0.5 + 0.4 * labels, 3)
    lines += binary_case("small_20", scores, labels)

    labels = (rng.random(1000) < 0.05).astype(int)
    scores = np.clip(np.round(rng.normal(0.2 + 0.4 * labels, 0.15), 2), 0.01, 0.99)
    lines += binary_case("imbalanced_1000", scores, labels)

    lines += rsna_case(rng)
    write_fixture(root, "metrics_reference.txt", lines)
    write_fixture(root, "calibration_reference.txt",
                  calibration_reference(np.random.default_rng(20250301)))


if __name__ == "__main__":
    main()
