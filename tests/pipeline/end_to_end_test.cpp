// End to end on small synthetic head-CT sets, CPU, tiny models: training learns (loss falls,
// validation AUC above 0.9), in float32 and in bfloat16 mixed precision, and ihd_predict
// reproduces the validation scores (calibrated with the run's temperature) from the DICOM files;
// a run stopped part-way and resumed ends bit-identical to an uninterrupted one; a six-label run
// reports per-subtype metrics, ihd_predict --submission writes the exact RSNA format, and the
// plain CSV decides each label at its own threshold and skips an MR file, naming its Modality.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/trainer.h"
#include "apps/training/history.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// A tiny, fast configuration; each test case gets its own folder.
TrainOptions tiny_run(const std::string& folder) {
  fs::remove_all(folder);
  TrainOptions o;
  o.out = folder + "/run";
  o.data_cache = folder + "/data";
  o.arch = "resnet18";
  o.width = 0.25;
  o.image_size = 64;
  o.batch = 16;
  o.lr = 1e-3;
  o.threads = 2;
  o.workers = 2;
  o.select = "auc";
  return o;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
  return fields;
}

int run_predict(const std::string& arguments, const fs::path& stderr_file) {
  const std::string command =
      std::string(IHD_PREDICT_BINARY) + " " + arguments + " > /dev/null 2> " + stderr_file.string();
  return std::system(command.c_str());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The two learning cases train on 160 patients x 6 slices for 15 epochs: with seeds 1 to 4 the
// best validation AUC reached 0.94 to 0.98 in float32 and in bfloat16, well clear of the 0.9
// asked (3 slices per patient left bfloat16 at 0.87 after 15 epochs: too few steps, not a fault).
// Both cases use the same set and schedule, so they compare the precisions and nothing else.
}  // namespace

TEST_CASE("training on synthetic CT learns, and ihd_predict reproduces the validation scores") {
  TrainOptions o = tiny_run("e2e_learn");
  o.synth_patients = 160;
  o.synth_slices = 6;
  o.epochs = 15;
  const TrainingOutcome outcome = run_training(o);

  const auto train = training::records_of_split(outcome.history, "train");
  REQUIRE(train.size() == 15);
  CHECK(train.back().loss < 0.8 * train.front().loss);
  REQUIRE(outcome.best.has_value());
  CHECK(outcome.best->split == "validation");
  CHECK(outcome.best->metrics.roc_auc > 0.9);

  // best_predictions.csv holds the best epoch's validation scores; score the same DICOM files
  // with the best checkpoint through the command-line tool, which calibrates them with the run's
  // temperature (config.json).
  const auto expected = read_lines(fs::path(o.out) / "best_predictions.csv");
  const auto config = read_run_config(fs::path(o.out) / "config.json");
  const double temperature = std::stod(config.at("temperatures"));
  REQUIRE(expected.size() > 20);
  const fs::path dicom_dir = fs::path(o.data_cache) / "synthetic-p160-s6-seed1" / "stage_2_train";
  std::string files;
  std::map<std::string, double> expected_scores;
  for (size_t i = 1; i < expected.size(); ++i) {
    const auto fields = split_csv(expected[i]);
    expected_scores[fields[0]] = calibrated_probability(std::stod(fields[2]), temperature);
    files += " " + (dicom_dir / (fields[0] + ".dcm")).string();
  }
  const fs::path predictions = fs::path("e2e_learn") / "predictions.csv";
  REQUIRE(run_predict("--model " + o.out + " --out " + predictions.string() + files,
                      "e2e_learn/predict.err") == 0);
  const auto rows = read_lines(predictions);
  REQUIRE(rows.size() == expected.size());
  CHECK(rows[0] == "id,any_probability,any_label");
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto fields = split_csv(rows[i]);
    CAPTURE(rows[i]);
    REQUIRE(expected_scores.count(fields[0]) == 1);
    CHECK(std::stod(fields[1]) == doctest::Approx(expected_scores[fields[0]]).epsilon(1e-3));
  }
}

TEST_CASE("training in bfloat16 mixed precision learns as float32 does") {
  TrainOptions o = tiny_run("e2e_bf16");
  o.synth_patients = 160;
  o.synth_slices = 6;
  o.epochs = 15;
  o.precision = "bf16";
  const TrainingOutcome outcome = run_training(o);

  const auto train = training::records_of_split(outcome.history, "train");
  REQUIRE(train.size() == 15);
  CHECK(train.back().loss < 0.8 * train.front().loss);
  REQUIRE(outcome.best.has_value());
  CHECK(outcome.best->metrics.roc_auc > 0.9);
  CHECK(read_file(fs::path(o.out) / "config.json").find("\"precision\": \"bf16\"") !=
        std::string::npos);
}

TEST_CASE("a run stopped part-way and resumed ends bit-identical to an uninterrupted run") {
  TrainOptions whole = tiny_run("e2e_resume_whole");
  whole.synth_patients = 12;
  whole.synth_slices = 4;
  whole.width = 0.125;
  whole.batch = 8;
  whole.epochs = 3;
  run_training(whole);

  TrainOptions stopped = whole;
  fs::remove_all("e2e_resume_stopped");
  stopped.out = "e2e_resume_stopped/run";
  stopped.data_cache = "e2e_resume_stopped/data";
  stopped.max_steps = 5;  // part-way through epoch 2
  run_training(stopped);
  TrainOptions resumed = stopped;
  resumed.max_steps = 0;
  resumed.resume = stopped.out;
  run_training(resumed);

  CHECK(read_file(fs::path(whole.out) / "last.safetensors") ==
        read_file(fs::path(stopped.out) / "last.safetensors"));

  // Killed during the first epoch: checkpoints exist, the history does not yet.
  TrainOptions early = stopped;
  fs::remove_all("e2e_resume_early");
  early.out = "e2e_resume_early/run";
  early.max_steps = 2;
  run_training(early);
  fs::remove(fs::path(early.out) / "history.csv");
  fs::remove(fs::path(early.out) / "history.json");
  TrainOptions early_resumed = early;
  early_resumed.max_steps = 0;
  early_resumed.resume = early.out;
  run_training(early_resumed);
  CHECK(read_file(fs::path(whole.out) / "last.safetensors") ==
        read_file(fs::path(early.out) / "last.safetensors"));

  const auto a = training::read_history(whole.out), b = training::read_history(stopped.out);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].loss == b[i].loss);
    CHECK(a[i].metrics.roc_auc == b[i].metrics.roc_auc);
  }
}

TEST_CASE("six labels: per-subtype metrics, and ihd_predict --submission in the RSNA format") {
  TrainOptions o = tiny_run("e2e_six");
  o.synth_patients = 8;
  o.synth_slices = 3;
  o.labels = "all";
  o.epochs = 1;
  o.batch = 8;
  const TrainingOutcome outcome = run_training(o);
  REQUIRE_FALSE(outcome.history.empty());
  const auto& extra = outcome.history.front().extra;
  CHECK(extra.count("subdural_roc_auc") == 1);
  CHECK(extra.count("rsna_weighted_log_loss") == 1);

  const fs::path dicom_dir = fs::path(o.data_cache) / "synthetic-p8-s3-seed1" / "stage_2_train";
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(dicom_dir))
    stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  stems.resize(3);
  std::string inputs;
  for (const std::string& stem : stems) inputs += " " + (dicom_dir / (stem + ".dcm")).string();
  std::ofstream("e2e_six/broken.dcm") << "not a DICOM file";
  inputs += " e2e_six/broken.dcm";

  REQUIRE(run_predict("--model " + o.out + " --submission --out e2e_six/submission.csv" + inputs,
                      "e2e_six/submission.err") == 0);
  CHECK(read_file("e2e_six/submission.err").find("broken.dcm") != std::string::npos);
  const auto rows = read_lines("e2e_six/submission.csv");
  REQUIRE(rows.size() == 1 + 6 * 3);
  CHECK(rows[0] == "ID,Label");
  const char* subtypes[] = {"epidural",     "intraparenchymal", "intraventricular",
                            "subarachnoid", "subdural",         "any"};
  const std::regex row_format(R"(ID_[0-9a-f]+_[a-z]+,(0|1)\.[0-9]{6})");
  for (size_t i = 1; i < rows.size(); ++i) {
    CAPTURE(rows[i]);
    CHECK(std::regex_match(rows[i], row_format));
    CHECK(rows[i].rfind(stems[(i - 1) / 6] + "_" + subtypes[(i - 1) % 6] + ",", 0) == 0);
  }

  // An MR file among them is skipped with one line naming it and its Modality, the rest scored.
  const std::string mr = std::string(IHD_PYDICOM_TEST_FILES) + "/MR_small.dcm";
  REQUIRE(run_predict("--model " + o.out + " --out e2e_six/plain.csv" + inputs + " " + mr,
                      "e2e_six/plain.err") == 0);
  const auto refused = read_lines("e2e_six/plain.err");
  CHECK(std::count_if(refused.begin(), refused.end(), [&](const std::string& line) {
          return line == "skipped " + mr +
                             ": Modality MR, not CT: the model reads head CT (--allow-non-ct to "
                             "score it anyway)";
        }) == 1);
  CHECK(read_lines("e2e_six/plain.csv").size() == 1 + stems.size());
  CHECK(read_lines("e2e_six/plain.csv").front() ==
        "id,epidural_probability,epidural_label,intraparenchymal_probability,"
        "intraparenchymal_label,intraventricular_probability,intraventricular_label,"
        "subarachnoid_probability,subarachnoid_label,subdural_probability,subdural_label,"
        "any_probability,any_label");

  // Each label is decided at its own threshold from config.json: set to 0 and 1 in turn, the
  // labels come out 1, 0, 1, 0, 1, 0 whatever the probabilities; --threshold decides them all.
  const fs::path config_path = fs::path(o.out) / "config.json";
  const auto config = read_run_config(config_path);
  REQUIRE(config.count("decision_thresholds") == 1);
  ConfigValues edited(config.begin(), config.end());
  for (auto& [key, value] : edited) {
    if (key == "decision_thresholds") value = "0;1;0;1;0;1";
  }
  write_run_config(config_path, edited);
  for (const auto& [flag, expected_labels] :
       {std::pair<std::string, std::string>{"", "101010"}, {" --threshold 0", "111111"}}) {
    CAPTURE(flag);
    REQUIRE(run_predict("--model " + o.out + flag + " --out e2e_six/plain.csv" + inputs,
                        "e2e_six/plain.err") == 0);
    const auto plain = read_lines("e2e_six/plain.csv");
    REQUIRE(plain.size() == 1 + stems.size());
    for (size_t i = 1; i < plain.size(); ++i) {
      const auto fields = split_csv(plain[i]);
      REQUIRE(fields.size() == 13);
      std::string labels;
      for (size_t k = 0; k < 6; ++k) labels += fields[2 + 2 * k];
      CHECK(labels == expected_labels);
    }
  }
}

}  // namespace ihd::pipeline
