// The sequence stage's view of slice embeddings (embedding.h): series in slice order, the chunks
// a series is cut into when it is longer than the model's length, and padded batches of chunks.
//
// A series is the slices sharing study and series IDs (the patient ID when both are empty), in
// the order the cache gave them along the series (position_mm, computed by data/series.h when
// the cache was prepared; the ID breaks ties). Every slice of a series has one split (splits are
// by patient). A series longer than `max_length` slices is cut into chunks of max_length that
// overlap by a quarter of it, the last one ending at the series' end; where chunks overlap, a
// slice's logits are the mean of its chunks'.
//
// The sequence model refines the slice model: a slice's logits are the slice model's own logit
// for each label (where it has an output of that name; 0 where it has not) plus the sequence
// model's output, so the stage starts from what the slice model knew and learns a correction.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "apps/pipeline/embedding.h"
#include "apps/pipeline/evaluation.h"
#include "engine/device.h"
#include "engine/tensor.h"
#include "model/sequence_model.h"

namespace ihd::pipeline {

struct SliceSeries {
  std::string study_id, series_id, patient_id;
  data::Split split = data::Split::train;
  std::vector<size_t> slices;  // indices into the embeddings' records, in order
};

std::vector<SliceSeries> group_into_series(const std::vector<data::ImageRecord>& records);
// Indices of the series of one split.
std::vector<size_t> series_of_split(const std::vector<SliceSeries>& series, data::Split split);

struct SeriesChunk {
  size_t series = 0;  // index into the series list
  size_t begin = 0;   // first slice (rank within the series)
  size_t length = 0;
};
std::vector<SeriesChunk> chunk_series(const std::vector<SliceSeries>& series,
                                      const std::vector<size_t>& which, int max_length);

// The slice model's logit for each of `label_names`, per slice ([S, L]): its output of the same
// name, 0 where it has none.
std::vector<float> slice_model_base_logits(const SliceEmbeddings& embeddings,
                                           const std::vector<std::string>& label_names);

// The model's input for a batch of chunks: each slice's features then its slice-model logits,
// [N, T, F + K], T the longest chunk; the base logits [N T, L] (0 at padding); the targets
// [N T, L] of label_columns (when given) and the real-step weights [N T]
// (BceOptions::row_weight); which slice each real row is.
struct SequenceBatch {
  Tensor inputs;
  std::vector<int> lengths;
  Tensor base_logits;
  Tensor targets;
  Tensor row_weights;
  std::vector<size_t> row_slices;  // [N T]: the slice of each row, for real rows
  int steps = 0;                   // T
};
SequenceBatch make_sequence_batch(const SliceEmbeddings& embeddings,
                                  const std::vector<SliceSeries>& series,
                                  std::span<const SeriesChunk> chunks,
                                  const std::vector<float>& base_logits,
                                  const std::vector<int>& label_columns, Device device);

// The stage's logits for a batch, [N T, L]: the base logits plus the model's output.
Tensor refined_logits(const SequenceModel& model, const SequenceBatch& batch);

// The stage's logits for every slice of the series `which` ([slice][label], indexed by slice;
// slices outside `which` left empty), `batch` chunks per forward pass, no graph.
std::vector<std::vector<float>> sequence_logits(const SequenceModel& model,
                                                const SliceEmbeddings& embeddings,
                                                const std::vector<SliceSeries>& series,
                                                const std::vector<size_t>& which,
                                                const std::vector<float>& base_logits,
                                                int max_length, int batch, Device device);

// The labels the sequence stage learns (every label of the data set), the one that ranks epochs
// and decides studies (`any`, else the last), and the RSNA weighting (any x2) when the labels are
// RSNA's.
struct SequenceLabels {
  std::vector<int> columns;
  std::vector<std::string> names;
  int headline = 0;
  std::vector<float> class_weights;  // empty: all equal
};
SequenceLabels sequence_labels(const SliceEmbeddings& embeddings);

// Appends one slice's row: its logits for each label (sigmoid for the scores), its labels, and
// its weighted binary cross-entropy (the training objective) to loss_sum.
void append_slice_prediction(Predictions& predictions, const data::ImageRecord& record,
                             size_t slice, const float* logits, const SequenceLabels& labels);
// Every slice of the series `which`, in series order, with the logits given per slice.
Predictions predictions_of(const SliceEmbeddings& embeddings,
                           const std::vector<SliceSeries>& series, const std::vector<size_t>& which,
                           const std::vector<std::vector<float>>& logits,
                           const SequenceLabels& labels);

// The study level of predictions_of's rows: a series' score is its highest score of the
// headline label, its label whether any of its slices is positive.
struct StudyScores {
  std::vector<double> scores;
  std::vector<int> labels;
};
StudyScores study_scores(const Predictions& predictions, const std::vector<SliceSeries>& series,
                         const std::vector<size_t>& which, int headline);

}  // namespace ihd::pipeline
