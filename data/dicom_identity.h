// The identifying attributes of a DICOM file (patient, study, series, instance and SOP class), read
// from its header as the file holds them, for results that must reference the file or file beside
// it (apps/pipeline/dicom_results.h). Nothing here is checked against its VR: the values come from
// outside and are untrusted; the writer that copies one checks it for the VR it writes.
//
// The file gets the same protection as data/dicom_reader.h's header read (the pre-parse structure
// check, then DCMTK with values over 4 KiB left on disk); a value longer than
// kMaxIdentityValueBytes is not read: it is returned empty and its keyword listed in `over_long`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dicom_reader.h"

namespace ihd::data {

// No identifying attribute's VR allows more than 64 characters per value (PN: 64 per component
// group, three groups); 1 KiB leaves room for every legal value and bounds what a hostile one
// costs.
inline constexpr std::size_t kMaxIdentityValueBytes = 1024;

struct DicomIdentity {
  std::string specific_character_set;  // (0008,0005), all values as stored ("\"-separated)
  std::string sop_class_uid, sop_instance_uid;
  std::string patient_id, patient_name, patient_birth_date, patient_sex;
  std::string study_instance_uid, study_date, study_time, accession_number,
      referring_physician_name, study_id;
  std::string series_instance_uid;
  std::vector<std::string> over_long;  // keywords of values longer than kMaxIdentityValueBytes
};

// Reads the header only. Throws Error (naming the file) when it cannot be read as DICOM or fails
// the structure check; an absent attribute is an empty string.
DicomIdentity read_dicom_identity(const std::filesystem::path& path,
                                  const DicomLimits& limits = {});

}  // namespace ihd::data
