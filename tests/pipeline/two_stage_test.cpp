// The two-stage run end to end (ihd_train --sequence-stage), on synthetic series whose bleeds have
// faint ends (a slice alone is ambiguous there, its neighbours are not), CPU, tiny models, fixed
// seed: on the same validation split the sequence stage lowers the RSNA weighted log loss of the
// slice model by a tenth (at its best epoch), raises its per-slice AUC (at the selected epoch) and
// keeps its study-level AUC; ihd_predict on the validation
// series' DICOM files reproduces the sequence stage's validation probabilities (calibrated with
// its temperatures); its --studies rows and --submission rows are what they say; ihd_eval
// --study-labels scores the same studies laid out as CQ500 against a reads.csv; and a sequence
// stage continued with --resume ends byte-identical to one run in one go.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "apps/pipeline/run_calibration.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/sequence_trainer.h"
#include "apps/training/history.h"
#include "apps/training/model_selection.h"
#include "common/delimited.h"
#include "engine/safetensors.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> read_records(const fs::path& path, TextFormat format) {
  RecordReader reader(path, format, ErrorKind::bad_csv);
  std::vector<std::vector<std::string>> records;
  for (std::vector<std::string> fields; reader.next(fields);) records.push_back(fields);
  return records;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// 160 patients and 12 slice epochs: with 120 and 8 the sequence stage's gain depended on the
// machine (27% on an AVX-512 one, 3% on an AVX2 one, whose slice model ended weaker); here it is
// 23% on the AVX2 machine and 24% (at its best epoch) on an Intel AVX-512 one
// (docs/STUDY_LEVEL.md).
TrainOptions two_stage_options(const fs::path& folder) {
  TrainOptions o;
  o.out = (folder / "run").string();
  o.data_cache = (folder / "data").string();
  o.synth_patients = 160;
  o.synth_slices = 16;
  o.synth_faint_ends = 1;
  o.arch = "resnet18";
  o.width = 0.125;
  o.image_size = 64;
  o.batch = 16;
  o.lr = 1e-3;
  o.epochs = 12;
  o.labels = "all";
  o.threads = 2;
  o.workers = 2;
  o.sequence_stage = true;
  o.sequence_epochs = 20;
  return o;
}

// ihd_eval --study-labels on the validation studies of the run in `folder`, laid out as CQ500
// is (a folder per study named "CQ500CT<n> CQ500CT<n>") with a reads.csv of three readers: two
// say the truth, the third disagrees on every other study, so only the majority gives the truth.
// Each study's probability must be the one ihd_predict gave its series (studies.csv).
void check_external_studies(const fs::path& folder, const TrainOptions& o) {
  // The validation studies of the first case, laid out as CQ500 is (a folder per study named
  // "CQ500CT<n> CQ500CT<n>") with a reads.csv of three readers: two say the truth, the third
  // disagrees on every other study, so only the majority gives the truth.
  const fs::path external = folder / "external";
  const fs::path dicom_dir =
      fs::path(o.data_cache) / "synthetic-p160-s16-f1-seed1" / "stage_2_train";
  std::map<std::string, int> label_of_series;
  for (const auto& record :
       read_records(dicom_dir.parent_path() / "series_labels.csv", TextFormat::csv)) {
    if (record[0] != "study") label_of_series[record[1]] = std::stoi(record[7]);
  }
  std::map<std::string, std::string> name_of_series;
  std::string reads = "name,Category";
  const std::vector<std::string> findings = {"ICH",
                                             "IPH",
                                             "IVH",
                                             "SDH",
                                             "EDH",
                                             "SAH",
                                             "BleedLocation-Left",
                                             "BleedLocation-Right",
                                             "ChronicBleed",
                                             "Fracture",
                                             "CalvarialFracture",
                                             "OtherFracture",
                                             "MassEffect",
                                             "MidlineShift"};
  for (const char* reader : {"R1", "R2", "R3"}) {
    for (const std::string& finding : findings) reads += std::string(",") + reader + ":" + finding;
  }
  reads += "\n";
  for (const auto& record :
       read_records(o.out / fs::path(kFeaturesFolderName) / "slices.tsv", TextFormat::tsv)) {
    if (record[1] != "validation") continue;
    if (!name_of_series.count(record[4])) {
      const std::string number = std::to_string(name_of_series.size());
      name_of_series[record[4]] = "CQ500-CT-" + number;
      const int truth = label_of_series.at(record[4]);
      reads += "CQ500-CT-" + number + ",B1";
      for (int reader = 0; reader < 3; ++reader) {
        const int said = reader == 2 && name_of_series.size() % 2 ? 1 - truth : truth;
        reads += "," + std::to_string(said);
        for (size_t f = 1; f < findings.size(); ++f) reads += ",0";
      }
      reads += "\n";
    }
    const std::string name = name_of_series[record[4]];
    const std::string compact = "CQ500CT" + name.substr(9);
    const fs::path study_dir = external / (compact + " " + compact) / "Unknown Study";
    fs::create_directories(study_dir);
    fs::copy_file(dicom_dir / (record[0] + ".dcm"), study_dir / (record[0] + ".dcm"));
  }
  std::ofstream(external / "reads.csv") << reads;

  const std::string eval = std::string(IHD_EVAL_BINARY) + " --model " + o.out +
                           " --bootstrap 100 --out " + (folder / "eval-external").string() +
                           " --study-labels " + (external / "reads.csv").string() + " " +
                           external.string() + " > " + (folder / "eval.log").string();
  REQUIRE(std::system(eval.c_str()) == 0);
  // Each study's probability is the one ihd_predict gave its series; its label the majority.
  std::map<std::string, std::string> predicted;
  for (const auto& record : read_records(folder / "studies.csv", TextFormat::csv)) {
    if (record[0] != "study") predicted[name_of_series.at(record[1])] = record[3];
  }
  const auto rows =
      read_records(folder / "eval-external" / "study_predictions.csv", TextFormat::csv);
  REQUIRE(rows.size() == 1 + name_of_series.size());
  for (size_t i = 1; i < rows.size(); ++i) {
    CAPTURE(rows[i][0]);
    CHECK(rows[i][3] == predicted.at(rows[i][0]));
    const std::string series = [&] {
      for (const auto& [id, name] : name_of_series) {
        if (name == rows[i][0]) return id;
      }
      return std::string();
    }();
    CHECK(rows[i][2] == std::to_string(label_of_series.at(series)));
  }
  CHECK(read_file(folder / "eval.log")
            .find("ICH (any): " + std::to_string(rows.size() - 1) + " studies") !=
        std::string::npos);
}

}  // namespace

TEST_CASE("two stages: the sequence stage beats the slice model, and ihd_predict reproduces it") {
  const fs::path folder = "two_stage";
  fs::remove_all(folder);
  const TrainOptions o = two_stage_options(folder);
  const TrainingOutcome outcome = run_two_stage_training(o);
  REQUIRE(outcome.best.has_value());
  const training::EpochRecord& best = *outcome.best;
  REQUIRE(best.split == "validation");
  const double stage1_loss = best.extra.at("stage1_rsna_weighted_log_loss");
  const double stage2_loss = best.extra.at("rsna_weighted_log_loss");
  double lowest_stage2_loss = stage2_loss;
  for (const training::EpochRecord& record : outcome.history) {
    if (record.split == "validation")
      lowest_stage2_loss = std::min(lowest_stage2_loss, record.extra.at("rsna_weighted_log_loss"));
  }
  MESSAGE("validation weighted log loss ", stage1_loss, " -> ", stage2_loss, " (lowest ",
          lowest_stage2_loss, "); AUC ", best.extra.at("stage1_roc_auc"), " -> ",
          best.metrics.roc_auc, "; study AUC ", best.extra.at("stage1_study_roc_auc"), " -> ",
          best.extra.at("study_roc_auc"));
  // The loss: its lowest over the stage's epochs. The selected epoch is ranked by specificity at
  // the target sensitivity, and its uncalibrated loss swings from epoch to epoch (0.187 to 0.240
  // over the last three epochs on one machine, whose selected epoch was the 0.240 one).
  CHECK(lowest_stage2_loss < 0.9 * stage1_loss);
  CHECK(best.metrics.roc_auc > best.extra.at("stage1_roc_auc"));
  // About 32 validation studies, both stages near the ceiling: one study pair ranked the other
  // way moves the AUC by about 0.004, so the study level is held to within 0.01 (two or three
  // pairs), not to a gain it has no room to show here (docs/STUDY_LEVEL.md measures it).
  CHECK(best.extra.at("study_roc_auc") >= best.extra.at("stage1_study_roc_auc") - 0.01);

  // The validation slices' DICOM files, scored by both stages through the command-line tool.
  const fs::path run = o.out, sequence = run / kSequenceRunName;
  const auto config = read_run_config(sequence / kRunConfigName);
  const RunCalibration calibration = read_run_calibration(config, "config.json", 6);
  const auto expected = read_records(sequence / "best_predictions.csv", TextFormat::csv);
  REQUIRE(expected.size() > 100);
  const fs::path dicom_dir =
      fs::path(o.data_cache) / "synthetic-p160-s16-f1-seed1" / "stage_2_train";
  std::string files;
  std::map<std::string, std::vector<double>> expected_probabilities;
  for (size_t i = 1; i < expected.size(); ++i) {
    std::vector<double>& probabilities = expected_probabilities[expected[i][0]];
    for (size_t k = 0; k < 6; ++k) {
      probabilities.push_back(
          calibrated_probability(std::stod(expected[i][2 + 2 * k]), calibration.temperatures[k]));
    }
    files += " " + (dicom_dir / (expected[i][0] + ".dcm")).string();
  }
  const std::string predict = std::string(IHD_PREDICT_BINARY) + " --model " + run.string();
  REQUIRE(std::system((predict + " --out " + (folder / "slices.csv").string() + " --studies " +
                       (folder / "studies.csv").string() + files + " > /dev/null")
                          .c_str()) == 0);
  const auto rows = read_records(folder / "slices.csv", TextFormat::csv);
  REQUIRE(rows.size() == expected.size());
  std::map<std::string, double> any_of;
  for (size_t i = 1; i < rows.size(); ++i) {
    CAPTURE(rows[i][0]);
    REQUIRE(expected_probabilities.count(rows[i][0]) == 1);
    // Printed with six decimals: half a unit of the last digit, and float arithmetic.
    for (size_t k = 0; k < 6; ++k) {
      CHECK(std::abs(std::stod(rows[i][1 + 2 * k]) - expected_probabilities[rows[i][0]][k]) <=
            1e-6);
    }
    any_of[rows[i][0]] = std::stod(rows[i][11]);
  }

  // One study row per validation series: its slices, its highest `any`, its decision, the five
  // slices with the highest `any`.
  const auto studies = read_records(folder / "studies.csv", TextFormat::csv);
  REQUIRE(studies.size() > 1);
  CHECK(studies[0] == std::vector<std::string>{"study", "series", "slices", "any_probability",
                                               "decision", "key_slices"});
  std::map<std::string, std::vector<std::string>> slices_of_series;
  for (const auto& record :
       read_records(run / kFeaturesFolderName / "slices.tsv", TextFormat::tsv)) {
    if (record[1] == "validation") slices_of_series[record[4]].push_back(record[0]);
  }
  CHECK(studies.size() == 1 + slices_of_series.size());
  for (size_t i = 1; i < studies.size(); ++i) {
    CAPTURE(studies[i][1]);
    const auto& slices = slices_of_series.at(studies[i][1]);
    CHECK(std::stoul(studies[i][2]) == slices.size());
    double highest = 0;
    for (const std::string& slice : slices) highest = std::max(highest, any_of.at(slice));
    CHECK(std::abs(std::stod(studies[i][3]) - highest) <= 1e-6);
    // The decision at the study threshold, which is itself one validation study's probability:
    // that study's six printed decimals may fall just below it, so within the print's precision
    // the CSV cannot tell, and only farther away is the decision checked.
    const double printed = std::stod(studies[i][3]);
    const double threshold = *calibration.study_decision_threshold;
    if (std::abs(printed - threshold) > 1e-6) {
      CHECK(studies[i][4] == (printed >= threshold ? "1" : "0"));
    }
    const std::string first_key = studies[i][5].substr(0, studies[i][5].find(';'));
    CHECK(std::abs(any_of.at(first_key) - highest) <= 1e-6);
    CHECK(std::count(studies[i][5].begin(), studies[i][5].end(), ';') == 4);
  }

  // The submission rows are the same probabilities in the RSNA format.
  REQUIRE(std::system((predict + " --submission --out " + (folder / "submission.csv").string() +
                       files + " > /dev/null")
                          .c_str()) == 0);
  const auto submission = read_records(folder / "submission.csv", TextFormat::csv);
  REQUIRE(submission.size() == 1 + 6 * (rows.size() - 1));
  const std::vector<std::string> labels = {"epidural",     "intraparenchymal", "intraventricular",
                                           "subarachnoid", "subdural",         "any"};
  for (size_t i = 1; i < submission.size(); ++i) {
    const auto& row = rows[1 + (i - 1) / 6];
    CHECK(submission[i][0] == row[0] + "_" + labels[(i - 1) % 6]);
    CHECK(submission[i][1] == row[1 + 2 * ((i - 1) % 6)]);
  }

  check_external_studies(folder, o);
}

TEST_CASE("two stages: a sequence stage continued with --resume ends as one run in one go") {
  const fs::path folder = "two_stage_resume";
  fs::remove_all(folder);
  TrainOptions o = two_stage_options(folder);
  o.synth_patients = 24;
  o.synth_slices = 8;
  o.epochs = 1;
  o.sequence_epochs = 4;
  run_two_stage_training(o);
  const fs::path whole = fs::path(o.out) / kSequenceRunName;

  TrainOptions part = o;
  part.sequence_stage = false;
  part.stage = "sequence";
  part.features = (fs::path(o.out) / kFeaturesFolderName).string();
  part.out = (folder / "part").string();
  part.sequence_epochs = 2;
  run_sequence_training(part);
  TrainOptions rest = part;
  rest.resume = part.out;
  rest.sequence_epochs = 4;
  run_sequence_training(rest);
  CHECK(read_file(fs::path(part.out) / "last.safetensors") ==
        read_file(whole / "last.safetensors"));
  CHECK(training::read_history(part.out).size() == training::read_history(whole).size());
}

}  // namespace ihd::pipeline
