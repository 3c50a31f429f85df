// Slice embeddings: what the sequence stage reads. A trained slice model runs over every slice of
// a data set (evaluation mode, no graph, batched) and keeps, per slice, its pooled backbone
// features and its logits, with the slice's ID, split, patient, study, series and position along
// the series, so that the sequence stage can put each series back in order.
//
// A features folder is owned like a run folder (config.json, format ihd-features-1, recording
// which model and data made it) and holds
//   slices.tsv            one record per slice: id, split, patient, study, series, position_mm
//   features.safetensors  "features" [S, F], "logits" [S, K], "labels" [S, L] (float32), with
//                         label_names and output_names in its metadata
// in the same slice order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/pipeline/inference.h"
#include "apps/pipeline/run_config.h"
#include "common/progress.h"
#include "data/image_dataset.h"
#include "engine/distributed/process_group.h"

namespace ihd::pipeline {

inline constexpr const char* kFeaturesFormat = "ihd-features-1";

struct SliceEmbeddings {
  std::vector<data::ImageRecord> records;  // one per slice
  std::vector<std::string> label_names;    // of records[i].labels (the data set's labels)
  std::vector<std::string> output_names;   // of the slice model's logits
  int feature_count = 0;                   // F
  std::vector<float> features;             // [S, F]
  std::vector<float> logits;               // [S, K], K = output_names.size()

  size_t count() const { return records.size(); }
};

// The data options of a run, reading every slice of its data: the sequence stage needs whole
// series, while the slice stage may have trained on a balanced or limited subset (the patient
// splits agree: data/rsna_preparation.h draws them over every labelled image).
TrainOptions every_slice_options(const TrainOptions& run_options);

// Runs `trained` over the records `indices` of `dataset` (every record when empty), `batch`
// images at a time, its progress shown where `progress` says; the result's records are those, in
// that order.
SliceEmbeddings embed_dataset(const TrainedModel& trained, const data::ImageDataset& dataset,
                              const std::vector<size_t>& indices, int batch, Device device,
                              const ProgressOutput& progress);

// Every record of `dataset`, embedded by the ranks of `group` together (ihd_embed under mpirun):
// rank r of N embeds the contiguous share of records [r S / N, (r + 1) S / N) of the S records,
// so that each rank reads neighbouring slices (a cache's shards in turn) and rank order is record
// order; rank 0 gathers every rank's features and logits into the records' own order. Rank 0's
// result holds every record, the others' none. `progress` shows this rank's share. In a group of
// one: embed_dataset over every record.
SliceEmbeddings embed_on_ranks(const distributed::ProcessGroup& group, const TrainedModel& trained,
                               const data::ImageDataset& dataset, int batch, Device device,
                               const ProgressOutput& progress);

// Writes a features folder (owned: see run_folder.h; an earlier features folder is replaced).
void write_embeddings(const std::filesystem::path& folder, const SliceEmbeddings& embeddings,
                      const ConfigValues& provenance);
// Reads one back; throws ihd::Error naming the file when it is not a features folder or its
// files disagree.
SliceEmbeddings read_embeddings(const std::filesystem::path& folder);

}  // namespace ihd::pipeline
