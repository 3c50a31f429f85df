// Inference with both stages of a two-stage run (ihd_train --sequence-stage): the slice model in
// RUN, the sequence model in RUN/sequence. Input files are grouped into series and ordered along
// each series (data/series.h: DICOM headers; a PNG is a series of its own), every slice goes
// through the slice model (its pooled features and logits, as ihd_embed computes them), and each
// series through the sequence model (sequence_data.h), whose probabilities are calibrated with
// the sequence stage's temperatures. Studies are made of the series by study_prediction.h.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/pipeline/inference.h"
#include "apps/pipeline/run_calibration.h"
#include "model/sequence_model.h"

namespace ihd::pipeline {

struct TrainedSequenceStage {
  std::unique_ptr<SequenceModel> model;
  TrainOptions options;        // the stage's settings (sequence length, batch)
  RunCalibration calibration;  // labels, temperatures, slice and study thresholds
  std::string weights_path;
  int headline = 0;  // the label a study is decided on (`any`)
};

// The run folder a --model argument names (the folder itself, or a checkpoint's folder).
std::filesystem::path run_folder_of(const std::filesystem::path& model);

// RUN/sequence's sequence model (best, else last checkpoint) for the slice model `slice`, when
// the run has one; throws Error naming the file when it is damaged or does not fit.
std::optional<TrainedSequenceStage> load_sequence_stage(const std::filesystem::path& run_dir,
                                                        const TrainedModel& slice, Device device);

struct SeriesPrediction {
  std::string study_id, series_id;
  std::vector<std::string> slice_ids;              // in order along the series
  std::vector<std::filesystem::path> slice_files;  // of slice_ids[k]
  std::vector<std::vector<double>> probabilities;  // [slice][label], calibrated
};

// Predicts `files` series by series: `emit` gets each series' prediction, `skipped` each file
// that cannot be read or is refused by `reading` (the rest of its series goes on).
void predict_series(
    const TrainedModel& slice, const TrainedSequenceStage& stage,
    const std::vector<std::filesystem::path>& files, const InputReading& reading, int batch,
    Device device, const std::function<void(const SeriesPrediction&)>& emit,
    const std::function<void(const std::filesystem::path&, const std::exception&)>& skipped);

}  // namespace ihd::pipeline
