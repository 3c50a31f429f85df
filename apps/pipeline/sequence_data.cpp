// Series grouping, chunking and padded batches for the sequence stage.
#include "apps/pipeline/sequence_data.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "apps/training/metrics.h"
#include "common/error.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace ihd::pipeline {

std::vector<SliceSeries> group_into_series(const std::vector<data::ImageRecord>& records) {
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index_of;
  std::vector<SliceSeries> series;
  for (size_t i = 0; i < records.size(); ++i) {
    const data::ImageRecord& record = records[i];
    const bool identified = !record.study_id.empty() || !record.series_id.empty();
    const auto key = std::make_tuple(record.study_id, record.series_id,
                                     identified ? std::string() : record.patient_id);
    auto [found, added] = index_of.try_emplace(key, series.size());
    if (added) {
      series.push_back({record.study_id, record.series_id, record.patient_id, record.split, {}});
    }
    SliceSeries& one = series[found->second];
    if (record.split != one.split) {
      throw Error(ErrorKind::bad_value, record.id,
                  "lies in another split than the rest of its series (" +
                      std::string(data::to_string(record.split)) + ", not " +
                      std::string(data::to_string(one.split)) + "): splits must be by patient");
    }
    one.slices.push_back(i);
  }
  for (SliceSeries& one : series) {
    std::stable_sort(one.slices.begin(), one.slices.end(), [&](size_t a, size_t b) {
      return std::tie(records[a].position_mm, records[a].id) <
             std::tie(records[b].position_mm, records[b].id);
    });
  }
  return series;
}

std::vector<size_t> series_of_split(const std::vector<SliceSeries>& series, data::Split split) {
  std::vector<size_t> which;
  for (size_t s = 0; s < series.size(); ++s) {
    if (series[s].split == split) which.push_back(s);
  }
  return which;
}

std::vector<SeriesChunk> chunk_series(const std::vector<SliceSeries>& series,
                                      const std::vector<size_t>& which, int max_length) {
  IHD_CHECK(max_length >= 4, "chunk_series: max_length must be at least 4");
  const size_t length = static_cast<size_t>(max_length);
  const size_t stride = length - length / 4;
  std::vector<SeriesChunk> chunks;
  for (const size_t s : which) {
    const size_t count = series[s].slices.size();
    if (count <= length) {
      chunks.push_back({s, 0, count});
      continue;
    }
    for (size_t begin = 0;; begin += stride) {
      if (begin + length >= count) {
        chunks.push_back({s, count - length, length});
        break;
      }
      chunks.push_back({s, begin, length});
    }
  }
  return chunks;
}

std::vector<float> slice_model_base_logits(const SliceEmbeddings& embeddings,
                                           const std::vector<std::string>& label_names) {
  const size_t outputs = embeddings.output_names.size(), labels = label_names.size();
  std::vector<float> base(embeddings.count() * labels, 0.0f);
  for (size_t k = 0; k < labels; ++k) {
    const auto found =
        std::find(embeddings.output_names.begin(), embeddings.output_names.end(), label_names[k]);
    if (found == embeddings.output_names.end()) continue;
    const size_t output = static_cast<size_t>(found - embeddings.output_names.begin());
    for (size_t slice = 0; slice < embeddings.count(); ++slice) {
      base[slice * labels + k] = embeddings.logits[slice * outputs + output];
    }
  }
  return base;
}

SequenceBatch make_sequence_batch(const SliceEmbeddings& embeddings,
                                  const std::vector<SliceSeries>& series,
                                  std::span<const SeriesChunk> chunks,
                                  const std::vector<float>& base_logits,
                                  const std::vector<int>& label_columns, Device device) {
  SequenceBatch batch;
  for (const SeriesChunk& chunk : chunks) {
    batch.steps = std::max(batch.steps, static_cast<int>(chunk.length));
  }
  const size_t n = chunks.size(), steps = static_cast<size_t>(batch.steps);
  const size_t features = static_cast<size_t>(embeddings.feature_count);
  const size_t outputs = embeddings.output_names.size();
  const size_t width = features + outputs, labels = label_columns.size();
  const size_t base_width = embeddings.count() ? base_logits.size() / embeddings.count() : 0;
  std::vector<float> inputs(n * steps * width, 0.0f), targets(n * steps * labels, 0.0f);
  std::vector<float> base(n * steps * base_width, 0.0f);
  batch.row_slices.assign(n * steps, 0);
  for (size_t c = 0; c < n; ++c) {
    const SeriesChunk& chunk = chunks[c];
    batch.lengths.push_back(static_cast<int>(chunk.length));
    for (size_t t = 0; t < chunk.length; ++t) {
      const size_t slice = series[chunk.series].slices[chunk.begin + t];
      const size_t row = c * steps + t;
      float* input = &inputs[row * width];
      std::copy_n(embeddings.features.begin() + slice * features, features, input);
      std::copy_n(embeddings.logits.begin() + slice * outputs, outputs, input + features);
      for (size_t k = 0; k < labels; ++k) {
        targets[row * labels + k] = embeddings.records[slice].labels.at(label_columns[k]);
      }
      std::copy_n(base_logits.begin() + slice * base_width, base_width, &base[row * base_width]);
      batch.row_slices[row] = slice;
    }
  }
  batch.inputs = Tensor::from_vector(
      Shape{static_cast<int64_t>(n), batch.steps, static_cast<int64_t>(width)}, inputs, device);
  batch.targets = Tensor::from_vector(
      Shape{static_cast<int64_t>(n * steps), static_cast<int64_t>(labels)}, targets, device);
  batch.base_logits = Tensor::from_vector(
      Shape{static_cast<int64_t>(n * steps), static_cast<int64_t>(base_width)}, base, device);
  batch.row_weights = real_step_weights(batch.lengths, batch.steps, device);
  return batch;
}

Tensor refined_logits(const SequenceModel& model, const SequenceBatch& batch) {
  return add(flatten_steps(model.forward(batch.inputs, batch.lengths)), batch.base_logits);
}

std::vector<std::vector<float>> sequence_logits(const SequenceModel& model,
                                                const SliceEmbeddings& embeddings,
                                                const std::vector<SliceSeries>& series,
                                                const std::vector<size_t>& which,
                                                const std::vector<float>& base_logits,
                                                int max_length, int batch, Device device) {
  NoGradGuard no_grad;
  const std::vector<SeriesChunk> chunks = chunk_series(series, which, max_length);
  const size_t outputs = static_cast<size_t>(model.config().outputs);
  std::vector<std::vector<float>> sums(embeddings.count());
  std::vector<int> counts(embeddings.count(), 0);
  const std::vector<int> no_labels;
  for (size_t first = 0; first < chunks.size(); first += static_cast<size_t>(batch)) {
    const size_t count = std::min(chunks.size() - first, static_cast<size_t>(batch));
    const SequenceBatch inputs =
        make_sequence_batch(embeddings, series, std::span(chunks).subspan(first, count),
                            base_logits, no_labels, device);
    const std::vector<float> logits = refined_logits(model, inputs).to_vector();
    for (size_t c = 0; c < count; ++c) {
      for (int t = 0; t < inputs.lengths[c]; ++t) {
        const size_t row = c * static_cast<size_t>(inputs.steps) + static_cast<size_t>(t);
        const size_t slice = inputs.row_slices[row];
        if (sums[slice].empty()) sums[slice].assign(outputs, 0.0f);
        for (size_t k = 0; k < outputs; ++k) sums[slice][k] += logits[row * outputs + k];
        ++counts[slice];
      }
    }
  }
  for (size_t slice = 0; slice < sums.size(); ++slice) {
    for (float& value : sums[slice]) value /= static_cast<float>(counts[slice]);
  }
  return sums;
}

SequenceLabels sequence_labels(const SliceEmbeddings& embeddings) {
  SequenceLabels labels;
  labels.names = embeddings.label_names;
  for (size_t k = 0; k < labels.names.size(); ++k) labels.columns.push_back(static_cast<int>(k));
  IHD_CHECK_INPUT(!labels.names.empty(), "the features folder holds no labels");
  const auto any = std::find(labels.names.begin(), labels.names.end(), "any");
  labels.headline = static_cast<int>(any == labels.names.end() ? labels.names.size() - 1
                                                               : any - labels.names.begin());
  if (labels.names.size() == training::kRsnaSubtypeCount) {
    for (double weight : training::kRsnaSubtypeWeights) {
      labels.class_weights.push_back(static_cast<float>(weight));
    }
  }
  return labels;
}

void append_slice_prediction(Predictions& predictions, const data::ImageRecord& record,
                             size_t slice, const float* logits, const SequenceLabels& labels) {
  predictions.ids.push_back(record.id);
  predictions.indices.push_back(slice);
  double loss = 0, weights = 0;
  for (size_t k = 0; k < labels.columns.size(); ++k) {
    const double logit = logits[k];
    const int label = record.labels.at(labels.columns[k]) > 0.5f ? 1 : 0;
    predictions.logits[k].push_back(logit);
    predictions.scores[k].push_back(1 / (1 + std::exp(-logit)));
    predictions.labels[k].push_back(label);
    const double weight = labels.class_weights.empty() ? 1.0 : labels.class_weights[k];
    loss +=
        weight * (std::max(logit, 0.0) - logit * label + std::log1p(std::exp(-std::abs(logit))));
    weights += weight;
  }
  predictions.loss_sum += loss / weights;
}

Predictions predictions_of(const SliceEmbeddings& embeddings,
                           const std::vector<SliceSeries>& series, const std::vector<size_t>& which,
                           const std::vector<std::vector<float>>& logits,
                           const SequenceLabels& labels) {
  Predictions predictions = make_predictions(static_cast<int>(labels.columns.size()));
  for (size_t s : which) {
    for (size_t slice : series[s].slices) {
      append_slice_prediction(predictions, embeddings.records[slice], slice, logits[slice].data(),
                              labels);
    }
  }
  return predictions;
}

StudyScores study_scores(const Predictions& predictions, const std::vector<SliceSeries>& series,
                         const std::vector<size_t>& which, int headline) {
  StudyScores study;
  size_t row = 0;
  for (size_t s : which) {
    double score = 0;
    int label = 0;
    for (size_t k = 0; k < series[s].slices.size(); ++k, ++row) {
      score = std::max(score, predictions.scores[headline][row]);
      label = std::max(label, predictions.labels[headline][row]);
    }
    study.scores.push_back(score);
    study.labels.push_back(label);
  }
  return study;
}

}  // namespace ihd::pipeline
