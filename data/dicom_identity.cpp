// The structure check, DCMTK's lazy parse, and each attribute's length checked before its value is
// asked for (which would load a long value from disk).
#include "data/dicom_identity.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include "common/error.h"
#include "data/dicom_structure.h"

namespace ihd::data {
namespace {

constexpr Uint32 kLazyValueBytes = 4096;

// The value of `tag` in the data set (all its values, "\"-separated), or empty when absent; a value
// over the limit stays unread and its keyword joins `over_long`.
std::string identity_value(DcmItem& dataset, const DcmTagKey& tag, const char* keyword,
                           std::vector<std::string>& over_long) {
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(tag, element).bad() || element == nullptr) return {};
  if (element->getLength() > kMaxIdentityValueBytes) {
    over_long.emplace_back(keyword);
    return {};
  }
  OFString value;
  if (element->getOFStringArray(value).bad()) return {};
  return std::string(value.c_str(), value.length());
}

}  // namespace

DicomIdentity read_dicom_identity(const std::filesystem::path& path, const DicomLimits& limits) {
  std::error_code size_error;
  const auto size_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) {
    throw Error(ErrorKind::unreadable, path.string(), "cannot open: " + size_error.message());
  }
  if (size_bytes == 0) throw Error(ErrorKind::empty_file, path.string(), "empty file");
  check_dicom_structure(path, limits.max_decoded_bytes);
  DcmFileFormat file;
  const OFCondition status =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kLazyValueBytes, ERM_autoDetect);
  if (status.bad()) {
    throw Error(ErrorKind::not_dicom, path.string(),
                std::string("not a readable DICOM file (") + status.text() + ")");
  }
  DcmDataset& dataset = *file.getDataset();
  DicomIdentity identity;
  auto value = [&](const DcmTagKey& tag, const char* keyword) {
    return identity_value(dataset, tag, keyword, identity.over_long);
  };
  identity.specific_character_set = value(DCM_SpecificCharacterSet, "SpecificCharacterSet");
  identity.sop_class_uid = value(DCM_SOPClassUID, "SOPClassUID");
  identity.sop_instance_uid = value(DCM_SOPInstanceUID, "SOPInstanceUID");
  identity.patient_id = value(DCM_PatientID, "PatientID");
  identity.patient_name = value(DCM_PatientName, "PatientName");
  identity.patient_birth_date = value(DCM_PatientBirthDate, "PatientBirthDate");
  identity.patient_sex = value(DCM_PatientSex, "PatientSex");
  identity.study_instance_uid = value(DCM_StudyInstanceUID, "StudyInstanceUID");
  identity.study_date = value(DCM_StudyDate, "StudyDate");
  identity.study_time = value(DCM_StudyTime, "StudyTime");
  identity.accession_number = value(DCM_AccessionNumber, "AccessionNumber");
  identity.referring_physician_name = value(DCM_ReferringPhysicianName, "ReferringPhysicianName");
  identity.study_id = value(DCM_StudyID, "StudyID");
  identity.series_instance_uid = value(DCM_SeriesInstanceUID, "SeriesInstanceUID");
  return identity;
}

}  // namespace ihd::data
