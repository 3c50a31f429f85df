// The study's folder: header check, Secondary Captures, the report, then the folder swap.
#include "apps/pipeline/dicom_results.h"

#include <dcmtk/dcmdata/dcuid.h>

#include "apps/pipeline/dicom_capture.h"
#include "apps/pipeline/dicom_header_writing.h"
#include "apps/pipeline/dicom_report.h"
#include "apps/pipeline/grad_cam.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/version.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_names.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr int kReportSeriesNumber = 9901, kCaptureSeriesNumber = 9902;

std::string model_description(const TrainedModel& slice,
                              const std::optional<TrainedSequenceStage>& stage) {
  return "ihd " + ihd_version() + " (commit " + build_commit() + "), " +
         (stage ? "two-stage run: slice model " + slice.weights_path + ", sequence stage " +
                      stage->weights_path
                : "slice model " + slice.weights_path);
}

// Removes a temporary folder unless it was moved into place.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(fs::path path) : path_(std::move(path)) {
    std::error_code error;
    if (!fs::create_directory(path_, error)) {
      throw Error(ErrorKind::io, path_.string(), "cannot create folder: " + error.message());
    }
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  // Puts the folder at `target`, replacing what was there.
  void commit(const fs::path& target) {
    std::error_code error;
    fs::path old;
    if (fs::exists(fs::symlink_status(target))) {
      old = temporary_path_for(target);
      fs::rename(target, old, error);
      if (error) throw Error(ErrorKind::io, target.string(), "cannot replace: " + error.message());
    }
    commit_temporary(path_, target);
    path_.clear();
    if (!old.empty()) fs::remove_all(old, error);
  }

 private:
  fs::path path_;
};

}  // namespace

StudyDicomFiles write_study_dicom(const StudyPrediction& study, const StudyScoring& scoring,
                                  const TrainedModel& slice,
                                  const std::optional<TrainedSequenceStage>& stage,
                                  const InputReading& reading, const fs::path& out_dir,
                                  Device device) {
  const StudyHeader header = checked_study_header(study);
  const fs::path folder = child_path(out_dir, header.study_instance_uid);
  TemporaryFolder temporary(temporary_path_for(folder));
  StudyDicomFiles files{folder, folder / "SR.dcm", {}};

  InputReading native = reading;
  native.keep_native_view = true;
  const std::string capture_series = new_uid();
  StructuredReport report;
  report.series_number = kReportSeriesNumber;
  report.model_description = model_description(slice, stage);
  for (size_t i = 0; i < study.key_slices.size(); ++i) {
    const ScoredSlice& key = study.slices[study.key_slices[i]];
    const PreparedInput input = prepare_input(key.file, slice.options, native);
    const GradCamPicture picture =
        grad_cam_picture(slice, input, key.probabilities[scoring.headline],
                         scoring.thresholds[scoring.headline], device);
    SecondaryCapture capture;
    capture.series_instance_uid = capture_series;
    capture.sop_instance_uid = new_uid();
    capture.series_number = kCaptureSeriesNumber;
    capture.instance_number = static_cast<int>(i + 1);
    capture.series_description = "ihd Grad-CAM, slice model's evidence (research)";
    capture.derivation_description =
        "Grad-CAM heat map of ihd's slice model over the source slice's first window, with the " +
        scoring.label_names[scoring.headline] + " probability " +
        probability_text(key.probabilities[scoring.headline]) +
        (stage ? " (of the two-stage run)" : "") +
        " burned in; research software, not for "
        "diagnostic use";
    capture.source_sop_class_uid = key.header.sop_class_uid;
    capture.source_sop_instance_uid = key.header.sop_instance_uid;
    capture.height = picture.height;
    capture.width = picture.width;
    capture.rgb = picture.rgb;
    const std::string name = "SC_" + std::to_string(i + 1) + ".dcm";
    write_secondary_capture(temporary.path() / name, header, capture);
    files.captures.push_back(folder / name);
    report.captures.push_back(
        {capture_series, UID_SecondaryCaptureImageStorage, capture.sop_instance_uid});
  }
  write_structured_report(temporary.path() / "SR.dcm", header, study, scoring, report);
  temporary.commit(folder);
  return files;
}

}  // namespace ihd::pipeline
