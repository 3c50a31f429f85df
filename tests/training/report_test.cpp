// Reports: the training page puts the result first (the selected epoch, its operating threshold
// and, once the run is calibrated, the one ihd_predict applies, its table and curves), then the
// per-epoch charts, then the configuration and the history, collapsed; every figure is an
// embedded SVG <img> and a pair of files. The evaluation page shows the levels with their
// intervals, the curves, the patients (errors first) and the caller's sections, with no
// per-epoch part. The sweep report draws one line per learning rate per metric per round and
// sums the runs up.
#include "apps/training/report.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "apps/training/eval_report.h"
#include "apps/training/html_page.h"
#include "apps/training/sweep_report.h"
#include "training/report_fixture.h"

namespace ihd::training {
namespace {

// Each of `markers` is on the page, in this order.
void check_in_order(const std::string& html, const std::vector<std::string>& markers) {
  std::size_t previous = 0;
  for (const std::string& marker : markers) {
    CAPTURE(marker);
    const std::size_t at = html.find(marker);
    REQUIRE(at != std::string::npos);
    CHECK(at >= previous);
    previous = at;
  }
}

// Every figure is an embedded SVG: the page loads nothing from outside itself.
void check_figures_embedded(const std::string& html, const std::filesystem::path& dir,
                            const std::vector<std::string>& figures) {
  for (const std::string& name : figures) {
    CAPTURE(name);
    CHECK(html.find("<figure id=\"figure-" + name + "\">\n<img src=\"data:image/svg+xml;base64,") !=
          std::string::npos);
    CHECK(std::filesystem::file_size(dir / "plots" / (name + ".svg")) > 500);
    CHECK(std::filesystem::file_size(dir / "plots" / (name + ".png")) > 1000);
  }
  CHECK(count_of(html, "<img ") == figures.size());
  CHECK(count_of(html, "src=") == count_of(html, "src=\"data:image/svg+xml;base64,"));
}

}  // namespace

TEST_CASE("report.html: the result first, then the epochs, then configuration and history") {
  const std::filesystem::path dir = fresh_dir("ihd_training_report_test");
  RunReport report;
  report.config = {{"arch", "resnet50"}, {"lr", "1e-4"}, {"data", "<synthetic & small>"}};
  report.history = history_for(1e-4, 6);
  for (EpochRecord& r : report.history) r.extra["subdural_roc_auc"] = 0.5 + 0.01 * r.epoch;
  std::vector<double> scores;
  std::vector<int> labels;
  epoch_scores(6, scores, labels);
  report.best_curves = best_epoch_curves("validation", scores, labels, 0.95);
  const std::filesystem::path path = write_run_report(dir, report);
  CHECK(path == dir / "report.html");
  const std::string html = read_text(path);

  const auto best = best_record_index(report.history, "validation", report.selection);
  REQUIRE(best);
  const EpochRecord& selected = report.history[*best];
  const std::string threshold =
      format_metric(selected.metrics.at_target_sensitivity.at_threshold.threshold, 4);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  check_in_order(html, {"<p class=\"headline\">Selected epoch <b>" +
                            std::to_string(selected.epoch) + "</b> of 6, by specificity at the "
                            "target sensitivity, then ROC AUC on validation.",
                        "Operating threshold <b>" + threshold + "</b>: where validation reaches "
                            "sensitivity 0.95",
                        "<h2 id=\"result\">",
                        "<tr><td>validation</td><td>" + threshold +
                            "</td><td>reaches sensitivity 0.95</td>",
                        "<tr><td>validation</td><td>0.5000</td><td>fixed</td>",
                        "<tr><td>train</td>",
                        "Further metrics of the selected epoch",
                        "<figure id=\"figure-roc\">",
                        "<figure id=\"figure-precision_recall\">",
                        "<figure id=\"figure-confusion_matrix_target\">",
                        "<figure id=\"figure-confusion_matrix\">",
                        "<h2 id=\"per-epoch\">",
                        "<figure id=\"figure-roc_auc\">",
                        "<figure id=\"figure-loss\">",
                        "<h2 id=\"configuration\">",
                        "<details><summary>The 3 settings that applied to this run</summary>",
                        ">resnet50<",
                        "<h2 id=\"history\">",
                        "<details><summary>Every epoch (12 rows)</summary>"});
  // The extras: a row per number, a column per split, the selection split first.
  CHECK(html.find("<tr><th>metric</th><th>validation</th><th>train</th></tr>\n"
                  "<tr><td>subdural ROC AUC</td><td>" +
                  format_metric(0.5 + 0.01 * selected.epoch, 4)) != std::string::npos);
  CHECK(html.find("&lt;synthetic &amp; small&gt;") != std::string::npos);
  std::vector<std::string> figures = {"roc", "precision_recall", "confusion_matrix_target",
                                      "confusion_matrix"};
  for (const std::string& metric : per_epoch_plot_metrics()) figures.push_back(metric);
  check_figures_embedded(html, dir, figures);
  std::filesystem::remove_all(dir);
}

TEST_CASE("report.html: a calibrated run's headline shows both thresholds and why they differ") {
  const std::filesystem::path dir = fresh_dir("ihd_training_calibrated_report_test");
  RunReport report;
  report.history = history_for(1e-4, 3);
  const auto best = best_record_index(report.history, "validation", report.selection);
  REQUIRE(best);
  const std::string raw = format_metric(
      report.history[*best].metrics.at_target_sensitivity.at_threshold.threshold, 4);
  const std::string before = read_text(write_run_report(dir, report));
  CHECK(before.find("Operating threshold <b>" + raw + "</b>") != std::string::npos);
  CHECK(before.find("ihd_predict and ihd_eval apply") == std::string::npos);

  report.calibrated_threshold = 0.1443;
  const std::string html = read_text(write_run_report(dir, report));
  check_in_order(html, {"Operating threshold <b>" + raw + "</b>: where validation reaches",
                        "ihd_predict and ihd_eval apply it as <b>0.1443</b> (config.json): the "
                        "same cut on the probabilities after temperature scaling",
                        "</p>", "<h2 id=\"result\">"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("a report with no epoch yet and no curves still renders") {
  const std::filesystem::path dir = fresh_dir("ihd_training_empty_report_test");
  const std::string html = read_text(write_run_report(dir, RunReport{}));
  CHECK(html.find("No epoch has been recorded yet.") != std::string::npos);
  CHECK(html.find("figure-roc\"") == std::string::npos);
  CHECK(html.find("<h2 id=\"configuration\">") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the evaluation page: levels with intervals, curves, patients, sections and no epochs") {
  const std::filesystem::path dir = fresh_dir("ihd_training_eval_report_test");
  std::vector<double> scores;
  std::vector<int> labels;
  epoch_scores(3, scores, labels);
  std::vector<std::string> slice_patients;
  for (std::size_t i = 0; i < scores.size(); ++i) slice_patients.push_back("P" + std::to_string(i / 4));
  const PatientScores patients = aggregate_by_patient(slice_patients, scores, labels);
  EvalReport report;
  report.title = "ihd evaluation: run on test";
  report.evaluated = {{"model", "run/best.safetensors"}, {"split", "test"}};
  report.levels = {evaluate_level("slices", scores, labels, 0.4, 0.95, 50),
                   evaluate_level("patients", patients.scores, patients.labels, 0.4, 0.95, 50)};
  report.patients = patients;
  report.patient_threshold = 0.4;
  LineChart reliability;
  reliability.title = "Calibration: any";
  reliability.series.push_back({"raw", {0.1, 0.5, 0.9}, {0.2, 0.5, 0.8}});
  report.sections.push_back(
      {"calibration", "Calibration", {{"Calibration of the slice model", {"output", "ECE"},
                                       {{"any", "0.0123"}}, "A note."}},
       {{"reliability_slice_model", reliability}}});
  const std::string html = read_text(write_eval_report(dir, report));

  const EvaluatedLevel& slices = report.levels[0];
  check_in_order(html, {"<p class=\"headline\">slices: 200 (100 positive). At the run's threshold "
                        "<b>0.4000</b>: sensitivity <b>" +
                            format_interval(slices.intervals.sensitivity, 3) + "</b>",
                        "<h2 id=\"evaluated\">", ">run/best.safetensors<",
                        "<h2 id=\"metrics\">",
                        "<tr><td>slices</td><td>200</td><td>100</td><td>0.4000</td><td>" +
                            format_interval(slices.intervals.roc_auc, 3) + "</td>",
                        "<tr><td>patients</td><td>50</td>", "95% percentile bootstrap over 50",
                        "<summary>Other thresholds, for comparison</summary>",
                        "<h2 id=\"curves\">", "<figure id=\"figure-roc\">",
                        "<figure id=\"figure-precision_recall\">",
                        "<figure id=\"figure-confusion_matrix_slices\">",
                        "<figure id=\"figure-confusion_matrix_patients\">",
                        "<h2 id=\"patients\">", "<summary>Each patient, misses and false alarms first",
                        "<h2 id=\"calibration\">Calibration</h2>",
                        "<h3>Calibration of the slice model</h3>", "<p>A note.</p>",
                        "<figure id=\"figure-reliability_slice_model\">"});
  CHECK(html.find("per-epoch") == std::string::npos);
  CHECK(html.find("Selected epoch") == std::string::npos);
  // Every patient once, the misses before the false alarms before the right calls.
  CHECK(count_of(html, "<tr><td>P") == 50);
  const std::size_t last_miss = html.rfind("missed (false negative)");
  const std::size_t first_alarm = html.find("false alarm (false positive)");
  const std::size_t first_right = html.find("<td>true ");
  if (last_miss != std::string::npos && first_alarm != std::string::npos) {
    CHECK(last_miss < first_alarm);
  }
  if (first_alarm != std::string::npos) CHECK(first_alarm < first_right);
  check_figures_embedded(html, dir,
                         {"roc", "precision_recall", "confusion_matrix_slices",
                          "confusion_matrix_patients", "reliability_slice_model"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("learning rates print as the seed wrote them") {
  CHECK(format_learning_rate(1e-2) == "1e-2");
  CHECK(format_learning_rate(0.1) == "1e-1");
  CHECK(format_learning_rate(1e-6) == "1e-6");
  CHECK(format_learning_rate(3e-4) == "3e-4");
  CHECK(format_learning_rate(2.5e-3) == "2.5e-3");
}

TEST_CASE("the sweep report sums the runs up, then draws each round's metrics per learning rate") {
  const std::filesystem::path dir = fresh_dir("ihd_training_sweep_test");
  SweepReport report;
  report.config = {{"rates", "1e-2 1e-3 1e-4 1e-5 1e-6"}};
  SweepRound round1{"round 1", "2000 images, 3 epochs", {}};
  for (double lr : {1e-2, 1e-3, 1e-4, 1e-5, 1e-6}) {
    round1.runs.push_back({lr, history_for(lr, 3), lr >= 1e-4});
  }
  SweepRound round2{"round 2", "2000 images, 4 epochs", {}};
  for (double lr : {1e-2, 1e-3, 1e-4}) round2.runs.push_back({lr, history_for(lr, 4), lr == 1e-3});
  report.rounds = {round1, round2};
  const std::string html = read_text(write_sweep_report(dir, report));

  check_in_order(html, {"<h2 id=\"summary\">", "<h2 id=\"round-1\">", "<h2 id=\"round-2\">",
                        "<h2 id=\"configuration\">", "<details>"});
  std::vector<std::string> figures;
  for (int round = 1; round <= 2; ++round) {
    for (const std::string& metric : sweep_plot_metrics()) {
      figures.push_back("round" + std::to_string(round) + "_" + metric);
    }
  }
  check_figures_embedded(html, dir, figures);
  // Summary: one row per run, 8 in all, with the advanced flags as given.
  CHECK(count_of(html, "<tr><td>round 1</td>") == 5);
  CHECK(count_of(html, "<tr><td>round 2</td>") == 3);
  CHECK(count_of(html, "<td>yes</td></tr>") == 4);
  std::filesystem::remove_all(dir);
}

}  // namespace ihd::training
