// Evaluation passes (fault point "validation" after each scored batch) and epoch records.
#include "apps/pipeline/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "apps/pipeline/training_data.h"
#include "apps/training/metrics.h"
#include "common/atomic_file.h"
#include "common/delimited.h"
#include "common/fault_injection.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace ihd::pipeline {

Predictions make_predictions(int outputs) {
  Predictions predictions;
  predictions.scores.resize(outputs);
  predictions.logits.resize(outputs);
  predictions.labels.resize(outputs);
  return predictions;
}

void append_batch(Predictions& predictions, const std::vector<float>& logits,
                  const std::vector<float>& targets, const data::Batch& batch, double mean_loss) {
  const size_t outputs = predictions.scores.size();
  for (int n = 0; n < batch.n; ++n) {
    predictions.ids.push_back(batch.ids[n]);
    predictions.indices.push_back(batch.indices[n]);
    for (size_t k = 0; k < outputs; ++k) {
      const double logit = logits[n * outputs + k];
      predictions.logits[k].push_back(logit);
      predictions.scores[k].push_back(1.0 / (1.0 + std::exp(-logit)));
      predictions.labels[k].push_back(targets[n * outputs + k] > 0.5f ? 1 : 0);
    }
  }
  predictions.loss_sum += mean_loss * batch.n;
}

Predictions predict(const ResNet& model, data::BatchLoader& loader,
                    const std::vector<int>& label_columns, const std::string& normalize,
                    Device device, Progress& progress) {
  NoGradGuard no_grad;
  Predictions predictions = make_predictions(static_cast<int>(label_columns.size()));
  BatchUploader uploader(device);
  loader.begin_epoch(0);
  data::Batch batch;
  while (loader.next(batch)) {
    const BatchTensors tensors = to_tensors(batch, label_columns, normalize, uploader);
    const Tensor logits = model.forward(tensors.images);
    const double loss = binary_cross_entropy_with_logits(logits, tensors.targets).item();
    append_batch(predictions, logits.to_vector(), tensors.targets.to_vector(), batch, loss);
    progress.update(static_cast<std::int64_t>(predictions.count()), predictions.mean_loss());
    fault_point("validation");  // a batch scored, the pass not yet finished
  }
  return predictions;
}

training::EpochRecord epoch_record(int epoch, const std::string& split, double learning_rate,
                                   const Predictions& predictions, int headline_output,
                                   const std::vector<std::string>& label_names,
                                   double target_sensitivity) {
  training::EpochRecord record;
  record.epoch = epoch;
  record.split = split;
  record.learning_rate = learning_rate;
  record.loss = predictions.mean_loss();
  record.metrics = training::compute_metric_set(
      predictions.scores[headline_output], predictions.labels[headline_output], target_sensitivity);
  const size_t outputs = predictions.scores.size();
  if (outputs == training::kRsnaSubtypeCount) {
    for (size_t k = 0; k < outputs; ++k) {
      record.extra[label_names[k] + "_roc_auc"] =
          training::roc_auc(predictions.scores[k], predictions.labels[k]);
    }
    std::vector<training::RsnaRow> rows(predictions.count());
    std::vector<training::RsnaLabelRow> truths(predictions.count());
    for (size_t i = 0; i < predictions.count(); ++i) {
      for (size_t k = 0; k < outputs; ++k) {
        rows[i][k] = predictions.scores[k][i];
        truths[i][k] = predictions.labels[k][i];
      }
    }
    record.extra["rsna_weighted_log_loss"] = training::rsna_weighted_log_loss(rows, truths);
  }
  return record;
}

PredictionDetails prediction_details(const Predictions& predictions,
                                     const data::ImageDataset& dataset, int decided_output,
                                     double threshold) {
  std::unordered_map<std::string, const data::ImageRecord*> by_id;
  for (const data::ImageRecord& record : dataset.records()) by_id.emplace(record.id, &record);
  PredictionDetails details;
  details.decided_output = decided_output;
  details.threshold = threshold;
  for (const std::string& id : predictions.ids) {
    const auto found = by_id.find(id);
    details.patient_ids.push_back(found == by_id.end() ? "" : found->second->patient_id);
    details.study_ids.push_back(found == by_id.end() ? "" : found->second->study_id);
  }
  return details;
}

void write_predictions_csv(const std::filesystem::path& path, const Predictions& predictions,
                           const std::vector<std::string>& label_names,
                           const std::optional<PredictionDetails>& details) {
  std::vector<std::string> header{"id"};
  if (details) header.insert(header.end(), {"patient", "study"});
  for (const std::string& name : label_names) {
    header.push_back(name + "_label");
    header.push_back(name + "_score");
  }
  if (details) header.push_back(label_names.at(details->decided_output) + "_decision");
  std::string out = join_record(header, TextFormat::csv) + "\n";
  char score[32];
  for (size_t i = 0; i < predictions.count(); ++i) {
    std::vector<std::string> row{predictions.ids[i]};
    if (details) row.insert(row.end(), {details->patient_ids.at(i), details->study_ids.at(i)});
    for (size_t k = 0; k < label_names.size(); ++k) {
      std::snprintf(score, sizeof score, "%.9g", predictions.scores[k][i]);
      row.push_back(std::to_string(predictions.labels[k][i]));
      row.push_back(score);
    }
    if (details) {
      row.push_back(predictions.scores[details->decided_output][i] >= details->threshold ? "1"
                                                                                         : "0");
    }
    out += join_record(row, TextFormat::csv) + "\n";
  }
  write_file_atomically(path, out);
}

bool read_headline_prediction_columns(const std::filesystem::path& path,
                                      std::vector<double>& scores, std::vector<int>& labels) {
  if (!std::filesystem::exists(path)) return false;
  try {
    RecordReader reader(path, TextFormat::csv, ErrorKind::bad_csv);
    std::vector<std::string> fields;
    if (!reader.next(fields)) return false;
    // Each output's label column, then its score column: "any_label", else the last label column.
    std::optional<size_t> label_field;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string& f = fields[i];
      if (f.size() > 6 && f.compare(f.size() - 6, 6, "_label") == 0) {
        if (!label_field || fields[*label_field] != "any_label") label_field = i;
      }
    }
    if (!label_field) return false;
    while (reader.next(fields)) {
      if (fields.size() < *label_field + 2) return false;
      labels.push_back(std::stoi(fields[*label_field]));
      scores.push_back(std::stod(fields[*label_field + 1]));
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace ihd::pipeline
