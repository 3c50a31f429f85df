// predictions.csv: a run's best_predictions.csv (id, each output's label and score) and an
// evaluation's (id, patient, study, the labels and scores, the decision), and reading one
// output's columns back from either.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/pipeline/evaluation.h"

namespace ihd::pipeline {
namespace {

// Two records, known by id; pixels are never read.
class TwoImages final : public data::ImageDataset {
 public:
  TwoImages() {
    records_.push_back(
        {"ID_a", {0, 1}, "patient 1", data::Split::validation, "study 1", "s1", 0, 0});
    records_.push_back({"ID_b", {1, 1}, "patient 2", data::Split::validation, "", "", 0, 0});
  }
  const std::vector<data::ImageRecord>& records() const override { return records_; }
  int height() const override { return 1; }
  int width() const override { return 1; }
  int channels() const override { return 1; }
  int label_count() const override { return 2; }
  std::vector<std::string> label_names() const override { return {"epidural", "any"}; }
  void read_pixels(size_t, std::uint8_t*) const override {}

 private:
  std::vector<data::ImageRecord> records_;
};

Predictions two_predictions() {
  Predictions predictions = make_predictions(2);
  predictions.ids = {"ID_b", "ID_a"};
  predictions.indices = {1, 0};
  predictions.scores = {{0.75, 0.125}, {0.5, 0.25}};
  predictions.labels = {{1, 0}, {1, 1}};
  return predictions;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("predictions.csv: an evaluation's rows name patient and study and the decision") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "ihd_predictions_csv";
  std::filesystem::create_directories(dir);
  const Predictions predictions = two_predictions();
  const std::vector<std::string> names = {"epidural", "any"};

  write_predictions_csv(dir / "best.csv", predictions, names);
  CHECK(read_text(dir / "best.csv") ==
        "id,epidural_label,epidural_score,any_label,any_score\n"
        "ID_b,1,0.75,1,0.5\n"
        "ID_a,0,0.125,1,0.25\n");

  const PredictionDetails details = prediction_details(predictions, TwoImages(), 1, 0.5);
  write_predictions_csv(dir / "eval.csv", predictions, names, details);
  CHECK(read_text(dir / "eval.csv") ==
        "id,patient,study,epidural_label,epidural_score,any_label,any_score,any_decision\n"
        "ID_b,patient 2,,1,0.75,1,0.5,1\n"  // 0.5 >= the threshold 0.5
        "ID_a,patient 1,study 1,0,0.125,1,0.25,0\n");

  for (const char* file : {"best.csv", "eval.csv"}) {
    CAPTURE(file);
    std::vector<double> scores;
    std::vector<int> labels;
    REQUIRE(read_headline_prediction_columns(dir / file, scores, labels));  // any: the last
    CHECK(scores == std::vector<double>{0.5, 0.25});
    CHECK(labels == std::vector<int>{1, 1});
  }
  std::filesystem::remove_all(dir);
}

}  // namespace ihd::pipeline
