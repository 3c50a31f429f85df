// Grouping into studies and the study rule (highest probability per label, key slices by the
// headline), over the slice model alone or over predict_series.
#include "apps/pipeline/study_prediction.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "apps/pipeline/training_data.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// The file's identifying header; empty for a PNG or a header that cannot be read (the file itself
// is read again, and any error reported, when it is prepared).
data::DicomIdentity header_of(const fs::path& file, const TrainOptions& options) {
  if (!is_dicom_file_name(file)) return {};
  try {
    return data::read_dicom_identity(file, dicom_limits_for(options));
  } catch (const Error&) {
    return {};
  }
}

// The study rule, on a study whose slices are all in.
void finish_study(StudyPrediction& study, size_t labels, size_t headline) {
  study.probabilities.assign(labels, 0.0);
  for (const ScoredSlice& slice : study.slices) {
    for (size_t k = 0; k < labels; ++k) {
      study.probabilities[k] = std::max(study.probabilities[k], slice.probabilities[k]);
    }
    const std::string& series = slice.header.series_instance_uid;
    if (std::find(study.series.begin(), study.series.end(), series) == study.series.end()) {
      study.series.push_back(series);
    }
  }
  std::vector<size_t> order(study.slices.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return study.slices[a].probabilities[headline] > study.slices[b].probabilities[headline];
  });
  order.resize(std::min(order.size(), kMaxKeySlices));
  study.key_slices = std::move(order);
}

// The slice model's headline: `any`, else its last output.
size_t slice_model_headline(const std::vector<std::string>& label_names) {
  const auto any = std::find(label_names.begin(), label_names.end(), "any");
  return any == label_names.end() ? label_names.size() - 1
                                  : static_cast<size_t>(any - label_names.begin());
}

void predict_two_stage(const TrainedModel& slice, const TrainedSequenceStage& stage,
                       const std::vector<fs::path>& files, const InputReading& reading, int batch,
                       Device device, const StudyCallbacks& callbacks) {
  const size_t labels = stage.calibration.label_names.size();
  const size_t headline = static_cast<size_t>(stage.headline);
  std::optional<StudyPrediction> study;
  auto close_study = [&] {
    if (!study) return;
    finish_study(*study, labels, headline);
    if (callbacks.study) callbacks.study(*study);
    study.reset();
  };
  predict_series(
      slice, stage, files, reading, batch, device,
      [&](const SeriesPrediction& series) {
        // One header read per file: the frames of a multi-frame file share it.
        std::map<fs::path, data::DicomIdentity> headers;
        std::vector<ScoredSlice> scored;
        for (size_t s = 0; s < series.slice_ids.size(); ++s) {
          const fs::path& file = series.slice_files[s];
          auto header = headers.find(file);
          if (header == headers.end())
            header = headers.emplace(file, header_of(file, slice.options)).first;
          scored.push_back({file, series.slice_ids[s], header->second, series.probabilities[s],
                            series.slice_frames[s], series.slice_frame_counts[s]});
        }
        if (callbacks.scored) callbacks.scored(scored);
        // Series come sorted by study: a study ends where the next series names another one.
        if (study && (series.study_id.empty() || study->study_instance_uid != series.study_id)) {
          close_study();
        }
        if (!study) study.emplace().study_instance_uid = series.study_id;
        for (ScoredSlice& s : scored) study->slices.push_back(std::move(s));
        if (series.study_id.empty()) close_study();
      },
      [&](const fs::path& file, const std::exception& error) {
        if (callbacks.skipped) callbacks.skipped(file, error);
      });
  close_study();
}

void predict_slice_only(const TrainedModel& trained, const std::vector<fs::path>& files,
                        const InputReading& reading, int batch, Device device,
                        const StudyCallbacks& callbacks) {
  const size_t labels = trained.label_names.size();
  const size_t headline = slice_model_headline(trained.label_names);
  // A study's key: its StudyInstanceUID, or (false, the file) for a file without one.
  using StudyKey = std::pair<bool, std::string>;
  std::vector<data::DicomIdentity> headers;
  std::vector<StudyKey> key_of;
  // Slices of each study not yet scored or skipped (a file counts as one until its frames are in).
  std::map<StudyKey, size_t> unfinished;
  for (const fs::path& file : files) {
    headers.push_back(header_of(file, trained.options));
    const std::string& uid = headers.back().study_instance_uid;
    key_of.push_back(uid.empty() ? StudyKey{false, file.string()} : StudyKey{true, uid});
    ++unfinished[key_of.back()];
  }
  std::map<StudyKey, StudyPrediction> open;
  auto slice_done = [&](size_t f) {
    const StudyKey& key = key_of[f];
    if (--unfinished[key] > 0) return;
    const auto study = open.find(key);
    if (study == open.end()) return;  // every file of it was skipped
    finish_study(study->second, labels, headline);
    if (callbacks.study) callbacks.study(study->second);
    open.erase(study);
  };

  std::vector<PreparedInput> pending;
  std::vector<size_t> pending_files;
  auto flush = [&] {
    if (pending.empty()) return;
    const std::vector<std::vector<double>> probabilities =
        predict_probabilities(trained, pending, device);
    std::vector<ScoredSlice> scored;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (callbacks.prepared) callbacks.prepared(pending[i], probabilities[i]);
      const size_t f = pending_files[i];
      scored.push_back({files[f], pending[i].id, headers[f], probabilities[i], pending[i].frame,
                        pending[i].frames});
    }
    pending.clear();
    if (callbacks.scored) callbacks.scored(scored);
    for (size_t i = 0; i < scored.size(); ++i) {
      const size_t f = pending_files[i];
      StudyPrediction& study = open[key_of[f]];
      study.study_instance_uid = headers[f].study_instance_uid;
      study.slices.push_back(std::move(scored[i]));
      slice_done(f);
    }
    pending_files.clear();
  };
  for (size_t f = 0; f < files.size(); ++f) {
    std::vector<PreparedInput> inputs;
    try {
      inputs = prepare_inputs(files[f], trained.options, reading);
    } catch (const std::exception& error) {
      if (callbacks.skipped) callbacks.skipped(files[f], error);
      slice_done(f);
      continue;
    }
    unfinished[key_of[f]] += inputs.size() - 1;  // a slice per frame
    for (PreparedInput& input : inputs) {
      pending.push_back(std::move(input));
      pending_files.push_back(f);
      if (static_cast<int>(pending.size()) == batch) flush();
    }
  }
  flush();
}

}  // namespace

StudyScoring study_scoring(const TrainedModel& slice,
                           const std::optional<TrainedSequenceStage>& stage, double threshold) {
  StudyScoring scoring;
  scoring.two_stage = stage.has_value();
  scoring.label_names = stage ? stage->calibration.label_names : slice.label_names;
  const size_t labels = scoring.label_names.size();
  scoring.thresholds = threshold >= 0 ? std::vector<double>(labels, threshold)
                       : stage        ? stage->calibration.decision_thresholds
                                      : slice.decision_thresholds;
  scoring.headline =
      stage ? static_cast<size_t>(stage->headline) : slice_model_headline(slice.label_names);
  scoring.study_threshold = stage ? stage->calibration.study_decision_threshold.value_or(
                                        scoring.thresholds[scoring.headline])
                                  : scoring.thresholds[scoring.headline];
  return scoring;
}

void predict_studies(const TrainedModel& slice, const std::optional<TrainedSequenceStage>& stage,
                     const std::vector<fs::path>& files, const InputReading& reading, int batch,
                     Device device, const StudyCallbacks& callbacks) {
  if (stage) {
    predict_two_stage(slice, *stage, files, reading, batch, device, callbacks);
  } else {
    predict_slice_only(slice, files, reading, batch, device, callbacks);
  }
}

}  // namespace ihd::pipeline
