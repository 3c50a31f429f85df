// Study-level prediction, for both kinds of run: the input files are grouped into studies and each
// study gets, per label, the highest probability of its slices, and its key slices (up to five,
// those with the highest headline (`any`) probability). ihd_predict's --studies and --dicom-out
// and the triage node are built on it.
//
// A study is the files of one StudyInstanceUID (from the DICOM header; data/dicom_identity.h).
//   two-stage run: the series of predict_series (two_stage_inference.h), which come sorted by
//     study; a series without a StudyInstanceUID (a PNG, say) is a study of its own;
//   slice-only run: every slice through predict_probabilities (inference.h) in input order; a file
//     without a StudyInstanceUID (a PNG, an unreadable header) is a study of its own.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apps/pipeline/inference.h"
#include "apps/pipeline/two_stage_inference.h"
#include "data/dicom_identity.h"

namespace ihd::pipeline {

inline constexpr size_t kMaxKeySlices = 5;

// What a run decides with: its labels, the threshold of each, and the study's.
struct StudyScoring {
  std::vector<std::string> label_names;
  std::vector<double> thresholds;  // per label: the run's own, or all the command's --threshold
  size_t headline = 0;             // the label a study is decided on (`any`, else the last)
  double study_threshold = 0.5;    // two-stage: the calibrated study threshold, else the headline's
  bool two_stage = false;
};

// `threshold` < 0: the run's thresholds; else every label's (the study threshold stays the run's).
StudyScoring study_scoring(const TrainedModel& slice,
                           const std::optional<TrainedSequenceStage>& stage, double threshold);

struct ScoredSlice {
  std::filesystem::path file;
  std::string id;                     // the file's stem, as in the CSV
  data::DicomIdentity header;         // as read from the file (empty for a PNG); untrusted
  std::vector<double> probabilities;  // per label, calibrated
};

struct StudyPrediction {
  std::string study_instance_uid;     // as in the header (may be empty: a study of one)
  std::vector<std::string> series;    // SeriesInstanceUIDs, in the order their slices come
  std::vector<ScoredSlice> slices;    // series by series; in each, along it (two-stage) or by input
  std::vector<double> probabilities;  // per label, the highest over the slices
  std::vector<size_t> key_slices;     // indices into slices, highest headline first, <= 5
};

struct StudyCallbacks {
  // Each batch (slice-only) or series (two-stage) once scored, in input order or series order.
  std::function<void(const std::vector<ScoredSlice>&)> scored;
  // Each study once all its files are scored or skipped (not called for a study with no slice).
  std::function<void(const StudyPrediction&)> study;
  // Each file that cannot be read or is refused by the reading rules.
  std::function<void(const std::filesystem::path&, const std::exception&)> skipped;
  // Slice-only runs, optional: each prepared input with its probabilities while its pixels are at
  // hand (Grad-CAM).
  std::function<void(const PreparedInput&, const std::vector<double>&)> prepared;
};

void predict_studies(const TrainedModel& slice, const std::optional<TrainedSequenceStage>& stage,
                     const std::vector<std::filesystem::path>& files, const InputReading& reading,
                     int batch, Device device, const StudyCallbacks& callbacks);

}  // namespace ihd::pipeline
