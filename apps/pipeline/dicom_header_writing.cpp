// dcmdata puts, checked.
#include "apps/pipeline/dicom_header_writing.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::pipeline {

void DatasetWriter::check(const OFCondition& status, const std::string& what) const {
  if (status.bad()) {
    throw Error(ErrorKind::io, path_.string(), "cannot write " + what + " (" + status.text() + ")");
  }
}

void DatasetWriter::operator()(const DcmTagKey& tag, const std::string& value) {
  check(item_.putAndInsertOFStringArray(tag, OFString(value.data(), value.size())),
        DcmTag(tag).getTagName());
}

void DatasetWriter::operator()(const DcmTagKey& tag, int value) {
  IHD_CHECK(value >= 0 && value <= 65535, "a US value out of range");
  check(item_.putAndInsertUint16(tag, static_cast<Uint16>(value)), DcmTag(tag).getTagName());
}

void put_study_header(DatasetWriter& put, const StudyHeader& header) {
  if (!header.specific_character_set.empty()) {
    put(DCM_SpecificCharacterSet, header.specific_character_set);
  }
  put(DCM_PatientName, header.patient_name);
  put(DCM_PatientID, header.patient_id);
  put(DCM_PatientBirthDate, header.patient_birth_date);
  put(DCM_PatientSex, header.patient_sex);
  put(DCM_StudyInstanceUID, header.study_instance_uid);
  put(DCM_StudyDate, header.study_date);
  put(DCM_StudyTime, header.study_time);
  put(DCM_ReferringPhysicianName, header.referring_physician_name);
  put(DCM_StudyID, header.study_id);
  put(DCM_AccessionNumber, header.accession_number);
}

void put_image_reference(DatasetWriter& put, const DcmTagKey& sequence,
                         const std::string& sop_class_uid, const std::string& sop_instance_uid) {
  DcmItem* item = nullptr;
  put.check(put.item().findOrCreateSequenceItem(sequence, item, -2), DcmTag(sequence).getTagName());
  DatasetWriter put_item(*item, put.path());
  put_item(DCM_ReferencedSOPClassUID, sop_class_uid);
  put_item(DCM_ReferencedSOPInstanceUID, sop_instance_uid);
}

std::string new_uid() {
  char uid[100];
  return dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
}

void save_atomically(DcmFileFormat& file, const std::filesystem::path& path) {
  const std::filesystem::path temporary = temporary_path_for(path);
  const OFCondition status = file.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
  if (status.bad()) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(ErrorKind::io, path.string(),
                std::string("cannot write DICOM file (") + status.text() + ")");
  }
  commit_temporary(temporary, path);
}

}  // namespace ihd::pipeline
