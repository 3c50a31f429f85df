// The Patient and General Study attributes that ihd's DICOM results (dicom_results.h) copy from a
// study's source slices, each checked for the VR it is written with, and the check of the UIDs they
// reference. The source header is untrusted (data/dicom_identity.h); the rule is to copy a value
// only when it is valid for its VR, and to refuse the whole study (Error, bad_value, one line
// naming the file, the attribute and why) when one is not:
//   - the StudyInstanceUID, and each key slice's SeriesInstanceUID, SOPClassUID and SOPInstanceUID
//     (they are referenced), must be valid UIDs (is_valid_uid): results filed beside the source
//     need the source's own UIDs, so a study whose UIDs are not UIDs (RSNA's "ID_5a5ef3a5e6",
//     ihd_synth's sets) gets no DICOM results;
//   - PatientID must be the same on every slice of the study;
//   - PatientID, PatientName, PatientBirthDate, PatientSex, StudyDate, StudyTime, AccessionNumber,
//     ReferringPhysicianName and StudyID (all type 2: empty when the source has none) must pass
//     DCMTK's check for their VR (length, characters, one value), hold no control character, and
//     PatientSex be M, F, O or empty;
//   - SpecificCharacterSet must be absent, ISO_IR 6, ISO_IR 100 (Latin-1) or ISO_IR 192 (UTF-8):
//     the results are written in the source's character set, and code extensions (ISO 2022
//     escapes) are not.
#pragma once

#include <string>
#include <string_view>

#include "apps/pipeline/study_prediction.h"

namespace ihd::pipeline {

struct StudyHeader {
  std::string specific_character_set;  // empty: the default repertoire
  std::string patient_id, patient_name, patient_birth_date, patient_sex;
  std::string study_instance_uid, study_date, study_time, accession_number,
      referring_physician_name, study_id;
};

// A UID as PS3.5 section 9 has it: 1 to 64 characters, components of digits separated by single
// dots, no component empty or with a leading zero (except "0" itself).
bool is_valid_uid(std::string_view uid);

// The study's header from its first slice, checked as above, its key slices' UIDs too.
StudyHeader checked_study_header(const StudyPrediction& study);

}  // namespace ihd::pipeline
