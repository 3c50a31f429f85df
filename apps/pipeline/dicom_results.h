// ihd_predict --dicom-out (and the triage node): a study's result as DICOM, filed beside the
// source in its own Study Instance UID. Under OUT/<StudyInstanceUID>/:
//   SR.dcm          the Comprehensive SR of dicom_report.h: each label's study probability, the
//                   decision at the study threshold, the model, the key slices by reference;
//   SC_<n>.dcm      n = 1..5, one Secondary Capture (dicom_capture.h) per key slice, highest
//                   headline first: its Grad-CAM (grad_cam.h, the slice model's evidence also in
//                   a two-stage run) with the probability burned in, one new series for all.
// The study's header is checked first (dicom_study_header.h): a study it refuses gets no folder.
// The files are written into a temporary folder beside the study's, which then replaces it
// (common/atomic_file.h's temporaries): the folder holds a whole result or none, never half of one.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "apps/pipeline/study_prediction.h"

namespace ihd::pipeline {

struct StudyDicomFiles {
  std::filesystem::path folder;
  std::filesystem::path report;
  std::vector<std::filesystem::path> captures;  // one per key slice, in order
};

// Throws Error (bad_value: the study's header is refused; io: a file cannot be written), naming
// the file. `reading` is the command's (the key slices are read again for their Grad-CAM).
StudyDicomFiles write_study_dicom(const StudyPrediction& study, const StudyScoring& scoring,
                                  const TrainedModel& slice,
                                  const std::optional<TrainedSequenceStage>& stage,
                                  const InputReading& reading, const std::filesystem::path& out_dir,
                                  Device device);

}  // namespace ihd::pipeline
