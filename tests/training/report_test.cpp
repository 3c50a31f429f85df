// Reports: report.html names every figure and metric, embeds each figure as inline SVG (and
// writes it as SVG and PNG), picks the best epoch by the seed's ranking, and escapes the config;
// the sweep report draws one line per learning rate per metric per round and a summary table.
#include "apps/training/report.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/training/html_page.h"
#include "apps/training/sweep_report.h"

namespace ihd::training {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Scores that separate the classes better as epochs go on; labels alternate.
void epoch_scores(int epoch, std::vector<double>& scores, std::vector<int>& labels) {
  scores.clear();
  labels.clear();
  for (int i = 0; i < 200; ++i) {
    const int label = i % 2;
    const double noise = std::sin(i * 12.9898) * 0.5;
    labels.push_back(label);
    scores.push_back(1 / (1 + std::exp(-(noise * 4 + (label ? 1 : -1) * 0.4 * epoch))));
  }
}

std::vector<EpochRecord> history_for(double learning_rate, int epochs) {
  std::vector<EpochRecord> history;
  std::vector<double> scores;
  std::vector<int> labels;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (const char* split : {"train", "validation"}) {
      epoch_scores(epoch + (split[0] == 't' ? 1 : 0), scores, labels);
      EpochRecord r;
      r.epoch = epoch;
      r.split = split;
      r.learning_rate = learning_rate;
      r.metrics = compute_metric_set(scores, labels, 0.95);
      r.loss = r.metrics.log_loss;
      r.images_per_second = 250;
      r.seconds = 0.8;
      history.push_back(r);
    }
  }
  return history;
}

std::filesystem::path fresh_dir(const char* name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("report.html shows config, headline tables and every figure inline") {
  const std::filesystem::path dir = fresh_dir("ihd_training_report_test");
  RunReport report;
  report.config = {{"arch", "resnet50"}, {"lr", "1e-4"}, {"data", "<synthetic & small>"}};
  report.history = history_for(1e-4, 6);
  for (EpochRecord& r : report.history) r.extra["subdural_roc_auc"] = 0.5 + 0.01 * r.epoch;
  std::vector<double> scores;
  std::vector<int> labels;
  epoch_scores(6, scores, labels);
  report.best_curves = best_epoch_curves("validation", scores, labels, 0.95);
  report.intervals = bootstrap_intervals(scores, labels, 0.5, 100, 1);
  const std::filesystem::path path = write_run_report(dir, report);
  CHECK(path == dir / "report.html");
  const std::string html = read_text(path);

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("&lt;synthetic &amp; small&gt;") != std::string::npos);
  CHECK(html.find(">resnet50<") != std::string::npos);
  const auto best = best_record_index(report.history, "validation", report.selection);
  REQUIRE(best);
  const std::string best_label = "best (epoch " + std::to_string(report.history[*best].epoch) + ")";
  CHECK(html.find(best_label + " validation") != std::string::npos);
  CHECK(html.find(best_label + " train") != std::string::npos);
  CHECK(html.find("last (epoch 6) validation") != std::string::npos);
  const std::string subdural =
      format_metric(0.5 + 0.01 * report.history[*best].epoch, 4);  // the best epoch's extra
  CHECK(html.find("<th>subdural_roc_auc</th></tr>\n<tr><td>train</td><td>" + subdural) !=
        std::string::npos);
  for (const char* metric :
       {">recall<", ">precision<", ">accuracy<", ">specificity<", ">F1<", ">ROC AUC<", ">PR AUC<",
        ">loss<", "sensitivity 0.95", "Bootstrap 95% confidence intervals"}) {
    CAPTURE(metric);
    CHECK(html.find(metric) != std::string::npos);
  }
  const std::vector<std::string> figures = {"recall",
                                            "precision",
                                            "accuracy",
                                            "loss",
                                            "roc_auc",
                                            "roc",
                                            "precision_recall",
                                            "confusion_matrix",
                                            "confusion_matrix_target"};
  for (const std::string& name : figures) {
    CAPTURE(name);
    CHECK(html.find("<figure id=\"figure-" + name + "\">") != std::string::npos);
    CHECK(std::filesystem::file_size(dir / "plots" / (name + ".svg")) > 500);
    CHECK(std::filesystem::file_size(dir / "plots" / (name + ".png")) > 1000);
  }
  CHECK(count_of(html, "<svg ") == figures.size());
  CHECK(html.find("src=") == std::string::npos);     // nothing loaded from outside the page
  CHECK(html.find(">train<") != std::string::npos);  // legend of the per-epoch figures
  CHECK(html.find(">validation<") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a report with no epoch yet and no curves still renders") {
  const std::filesystem::path dir = fresh_dir("ihd_training_empty_report_test");
  const std::string html = read_text(write_run_report(dir, RunReport{}));
  CHECK(html.find("No epoch has been recorded yet.") != std::string::npos);
  CHECK(html.find("figure-roc\"") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("learning rates print as the seed wrote them") {
  CHECK(format_learning_rate(1e-2) == "1e-2");
  CHECK(format_learning_rate(0.1) == "1e-1");
  CHECK(format_learning_rate(1e-6) == "1e-6");
  CHECK(format_learning_rate(3e-4) == "3e-4");
  CHECK(format_learning_rate(2.5e-3) == "2.5e-3");
}

TEST_CASE("the sweep report draws each round's metrics per learning rate and sums them up") {
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

  for (int round = 1; round <= 2; ++round) {
    for (const std::string& metric : sweep_plot_metrics()) {
      const std::string name = "round" + std::to_string(round) + "_" + metric;
      CAPTURE(name);
      CHECK(html.find("<figure id=\"figure-" + name + "\">") != std::string::npos);
      CHECK(std::filesystem::exists(dir / "plots" / (name + ".png")));
      const std::string svg = read_text(dir / "plots" / (name + ".svg"));
      CHECK(svg.find(">lr 1e-3<") != std::string::npos);
      CHECK((svg.find(">lr 1e-6<") != std::string::npos) == (round == 1));
    }
  }
  CHECK(count_of(html, "<svg ") == 8);
  // Summary: one row per run, 8 in all, with the advanced flags as given.
  CHECK(count_of(html, "<tr><td>round 1</td>") == 5);
  CHECK(count_of(html, "<tr><td>round 2</td>") == 3);
  CHECK(count_of(html, "<td>yes</td></tr>") == 4);
  std::filesystem::remove_all(dir);
}

}  // namespace ihd::training
