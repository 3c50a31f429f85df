// Scoring a split with a model (evaluation mode, no graph) and turning scores into the epoch's
// history record: headline metrics on the ranking output ("any"), and for six-label models each
// subtype's AUC and the RSNA weighted log loss as extra columns.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/training/history.h"
#include "common/progress.h"
#include "data/batch_loader.h"
#include "data/image_dataset.h"
#include "engine/device.h"
#include "model/resnet.h"

namespace ihd::pipeline {

struct Predictions {
  std::vector<std::string> ids;
  std::vector<size_t> indices;              // dataset record indices
  std::vector<std::vector<double>> scores;  // [output][sample], probabilities
  std::vector<std::vector<double>> logits;  // [output][sample], what the scores are sigmoids of
  std::vector<std::vector<int>> labels;     // [output][sample], 0/1
  double loss_sum = 0;                      // sum over batches of mean loss x batch size
  size_t count() const { return ids.size(); }
  double mean_loss() const {
    return ids.empty() ? 0.0 : loss_sum / static_cast<double>(ids.size());
  }
};

// Empty predictions for `outputs` outputs.
Predictions make_predictions(int outputs);
// Appends a batch's sigmoid scores and labels; logits and targets are [n, outputs].
void append_batch(Predictions& predictions, const std::vector<float>& logits,
                  const std::vector<float>& targets, const data::Batch& batch, double mean_loss);

// Runs the model in evaluation mode over one epoch of `loader` (epoch 0, no shuffling expected),
// reporting each scored batch and the running mean loss to `progress` (the caller finishes it).
Predictions predict(const ResNet& model, data::BatchLoader& loader,
                    const std::vector<int>& label_columns, const std::string& normalize,
                    Device device, Progress& progress);

// The history record of one split at one epoch.
training::EpochRecord epoch_record(int epoch, const std::string& split, double learning_rate,
                                   const Predictions& predictions, int headline_output,
                                   const std::vector<std::string>& label_names,
                                   double target_sensitivity);

// What an evaluation's predictions.csv says of each image beyond its labels and scores: whose it
// is and the decision on one output at the run's threshold (score >= threshold).
struct PredictionDetails {
  std::vector<std::string> patient_ids;  // one per prediction, in order; "" when unknown
  std::vector<std::string> study_ids;    // likewise; "" for PNG folders
  int decided_output = 0;
  double threshold = 0.5;
};
// The details of predictions over dataset's images (found by id).
PredictionDetails prediction_details(const Predictions& predictions,
                                     const data::ImageDataset& dataset, int decided_output,
                                     double threshold);

// Writes one CSV row per image, atomically: id, then label and score of each output (a run's
// best_predictions.csv); with details, id, patient, study, the labels and scores, then the
// decision "<output>_decision" (an evaluation's predictions.csv). IDs are quoted where CSV needs
// it. What reports are drawn from and what a reader checks a single case against.
void write_predictions_csv(const std::filesystem::path& path, const Predictions& predictions,
                           const std::vector<std::string>& label_names,
                           const std::optional<PredictionDetails>& details = std::nullopt);

// Reads back the headline output's label and score columns of such a file ("any", else the last
// output; for the run's report); false when the file is absent or not what write_predictions_csv
// writes.
bool read_headline_prediction_columns(const std::filesystem::path& path,
                                      std::vector<double>& scores, std::vector<int>& labels);

}  // namespace ihd::pipeline
