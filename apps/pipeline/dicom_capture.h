// One Secondary Capture Image Storage instance (PS3.3 A.8.1): an RGB 8-bit picture made by a
// workstation (ConversionType WSD) with its annotation burned in, in the source study (the
// checked Patient and Study attributes of dicom_study_header.h), derived from one source image
// (SourceImageSequence and ImageComments name it). ihd writes the Grad-CAM of a key slice this way
// (dicom_results.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/pipeline/dicom_study_header.h"

namespace ihd::pipeline {

struct SecondaryCapture {
  std::string series_instance_uid, sop_instance_uid;  // valid UIDs, made by the caller
  int series_number = 1, instance_number = 1;
  std::string series_description;  // LO: 64 characters at most
  std::string derivation_description;
  std::string source_sop_class_uid, source_sop_instance_uid;  // checked UIDs
  int height = 0, width = 0;                                  // 1 to 65535
  std::vector<std::uint8_t> rgb;                              // height x width x 3
};

// Writes `image` to `path` atomically (temporary file, then rename); throws Error naming `path`.
void write_secondary_capture(const std::filesystem::path& path, const StudyHeader& header,
                             const SecondaryCapture& image);

}  // namespace ihd::pipeline
