// What ihd's DICOM writers (dicom_capture.h, dicom_report.h) share: putting values into a dcmdata
// data set with every failure an Error naming the file, the checked Patient and General Study
// attributes of a source study, an image reference item, a new UID, and the atomic save.
#pragma once

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <filesystem>
#include <string>

#include "apps/pipeline/dicom_study_header.h"

namespace ihd::pipeline {

// Puts values into one data set (or item), throwing Error(io) naming `path` when dcmdata refuses.
class DatasetWriter {
 public:
  DatasetWriter(DcmItem& item, std::filesystem::path path) : item_(item), path_(std::move(path)) {}
  void operator()(const DcmTagKey& tag, const std::string& value);
  void operator()(const DcmTagKey& tag, int value);  // US
  void check(const OFCondition& status, const std::string& what) const;
  DcmItem& item() { return item_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  DcmItem& item_;
  std::filesystem::path path_;
};

// SpecificCharacterSet (when not the default), Patient and General Study module attributes.
void put_study_header(DatasetWriter& put, const StudyHeader& header);

// `sequence` with one item: ReferencedSOPClassUID and ReferencedSOPInstanceUID.
void put_image_reference(DatasetWriter& put, const DcmTagKey& sequence,
                         const std::string& sop_class_uid, const std::string& sop_instance_uid);

// A new UID under DCMTK's root (dcmGenerateUniqueIdentifier: unique per host, process and time).
std::string new_uid();

// Saves `file` (explicit VR little endian, with a meta header) to a temporary beside `path`,
// then renames it over `path`.
void save_atomically(DcmFileFormat& file, const std::filesystem::path& path);

}  // namespace ihd::pipeline
