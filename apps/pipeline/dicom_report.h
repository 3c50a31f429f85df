// The study-level result as a DICOM Comprehensive SR document (dcmsr's DSRDocument), in the source
// study (the checked Patient and Study attributes of dicom_study_header.h), its own series. The
// content tree, every concept in the private coding scheme "99IHD" (declared in the document's
// Coding Scheme Identification Sequence) except the UCUM unit:
//   CONTAINER (IHD-REPORT, "Intracranial hemorrhage detection")
//     CONTAINS TEXT (NOTICE)     research software, not for diagnostic use
//     CONTAINS TEXT (MODEL)      the weights file, ihd's version and commit, the kind of run
//     CONTAINS TEXT (DECISION)   "positive" or "negative", the headline's probability, the
//     threshold CONTAINS NUM (THRESHOLD)   the study decision threshold, UCUM "1" CONTAINS NUM
//     (<label>)     each label's study probability ("Probability of <label>"), UCUM "1" CONTAINS
//     CONTAINER (KEY-SLICES)
//       CONTAINS NUM (SLICE)     a key slice's headline probability, highest first, and under it
//         INFERRED FROM IMAGE (SOURCE)    the source slice (its SOP class and instance UIDs)
//         INFERRED FROM IMAGE (GRAD-CAM)  the Secondary Capture of it (dicom_capture.h)
// Numbers are written as ihd_predict's CSV prints them (six decimals), so they compare equal.
// The source slices are listed in the Current Requested Procedure Evidence, the Secondary Captures
// in the Pertinent Other Evidence.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/pipeline/dicom_study_header.h"
#include "apps/pipeline/study_prediction.h"

namespace ihd::pipeline {

struct ReferencedImage {
  std::string series_instance_uid, sop_class_uid, sop_instance_uid;
};

struct StructuredReport {
  int series_number = 1;                  // its series and instance UIDs are new (dcmsr makes them)
  std::string model_description;          // one line: weights, version, kind of run
  std::vector<ReferencedImage> captures;  // the Secondary Capture of each key slice, in order
};

// "0.873456": a probability as ihd_predict's CSV and the report print it.
std::string probability_text(double probability);

// Writes the report to `path` atomically; throws Error naming `path`.
void write_structured_report(const std::filesystem::path& path, const StudyHeader& header,
                             const StudyPrediction& study, const StudyScoring& scoring,
                             const StructuredReport& report);

}  // namespace ihd::pipeline
