// dicom_study_header.h on hand-made headers: which strings are UIDs (PS3.5 9.1), and which
// studies' headers are copied or refused, with the reason naming the file and the attribute.
#include "apps/pipeline/dicom_study_header.h"

#include <doctest/doctest.h>

#include <string>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

ScoredSlice slice_of(const std::string& file, const std::string& sop_instance_uid) {
  ScoredSlice slice;
  slice.file = file;
  slice.header.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  slice.header.sop_instance_uid = sop_instance_uid;
  slice.header.series_instance_uid = "1.2.3.4";
  slice.header.study_instance_uid = "1.2.3";
  slice.header.patient_id = "P1";
  slice.header.patient_name = "Doe^Jane";
  slice.header.study_date = "20240102";
  slice.probabilities = {0.5};
  return slice;
}

StudyPrediction two_slice_study() {
  StudyPrediction study;
  study.study_instance_uid = "1.2.3";
  study.slices = {slice_of("a.dcm", "1.2.3.4.1"), slice_of("b.dcm", "1.2.3.4.2")};
  study.key_slices = {1, 0};
  return study;
}

// The one-line reason checked_study_header gives, or "" when it copies the header.
std::string refusal(const StudyPrediction& study) {
  try {
    checked_study_header(study);
    return "";
  } catch (const Error& error) {
    return error.what();
  }
}

}  // namespace

TEST_CASE("UIDs: digits and single dots, at most 64, no leading zero in a component") {
  CHECK(is_valid_uid("1.2.840.10008.5.1.4.1.1.7"));
  CHECK(is_valid_uid("0"));
  CHECK(is_valid_uid("1.0.3"));
  CHECK(is_valid_uid(std::string(64, '1')));
  CHECK_FALSE(is_valid_uid(std::string(65, '1')));
  CHECK_FALSE(is_valid_uid(""));
  CHECK_FALSE(is_valid_uid("ID_5a5ef3a5e6"));
  CHECK_FALSE(is_valid_uid("1.02.3"));
  CHECK_FALSE(is_valid_uid("1..2"));
  CHECK_FALSE(is_valid_uid(".1.2"));
  CHECK_FALSE(is_valid_uid("1.2."));
  CHECK_FALSE(is_valid_uid("1.2 "));
  CHECK_FALSE(is_valid_uid(std::string("1.2\0.3", 6)));
}

TEST_CASE("a study's header is copied when every value is valid for its VR") {
  const StudyHeader header = checked_study_header(two_slice_study());
  CHECK(header.study_instance_uid == "1.2.3");
  CHECK(header.patient_id == "P1");
  CHECK(header.patient_name == "Doe^Jane");
  CHECK(header.study_date == "20240102");
  CHECK(header.accession_number.empty());
  CHECK(header.specific_character_set.empty());
}

TEST_CASE("a study's header with a hostile value is refused in one line naming the attribute") {
  StudyPrediction study = two_slice_study();
  SUBCASE("a StudyInstanceUID that is not a UID") {
    study.slices[0].header.study_instance_uid = "ID_5a5ef3a5e6";
    CHECK(refusal(study) ==
          "a.dcm: StudyInstanceUID \"ID_5a5ef3a5e6\" is not a valid DICOM UID (digits and dots, at "
          "most 64)");
  }
  SUBCASE("a key slice's SOPInstanceUID with a control character, shown as '?'") {
    study.slices[1].header.sop_instance_uid = "1.2\n3";
    CHECK(refusal(study) ==
          "b.dcm: SOPInstanceUID \"1.2?3\" is not a valid DICOM UID (digits and "
          "dots, at most 64)");
  }
  SUBCASE("a PatientName of 65 characters, and one of three groups of 64") {
    study.slices[0].header.patient_name = std::string(65, 'N');
    CHECK(refusal(study) ==
          "a.dcm: PatientName is longer than its VR allows (64 per component group)");
    const std::string group(64, 'N');
    study.slices[0].header.patient_name = group + "=" + group + "=" + group;
    CHECK(refusal(study).empty());
  }
  SUBCASE("an AccessionNumber of 17 characters (SH: 16)") {
    study.slices[0].header.accession_number = std::string(17, '1');
    CHECK(refusal(study) == "a.dcm: AccessionNumber is longer than its VR allows (16)");
  }
  SUBCASE("a PatientID with a tab") {
    for (ScoredSlice& slice : study.slices) slice.header.patient_id = "P\t1";
    CHECK(refusal(study) == "a.dcm: PatientID holds a control character");
  }
  SUBCASE("a value too long to read (data/dicom_identity.h left it out)") {
    study.slices[0].header.patient_name.clear();
    study.slices[0].header.over_long = {"PatientName"};
    CHECK(refusal(study) == "a.dcm: PatientName is longer than 1024 bytes");
  }
  SUBCASE("two PatientIDs in one study") {
    study.slices[1].header.patient_id = "P2";
    CHECK(refusal(study) == "b.dcm: its PatientID differs from that of a.dcm in the same study");
  }
  SUBCASE("a StudyDate that is no date, a PatientSex other than M, F, O") {
    study.slices[0].header.study_date = "2024-01-02";
    CHECK(refusal(study).rfind("a.dcm: StudyDate is ", 0) == 0);
    study.slices[0].header.study_date = "20240102";
    study.slices[0].header.patient_sex = "X";
    CHECK(refusal(study) == "a.dcm: PatientSex \"X\" is none of M, F, O");
  }
  SUBCASE("a character set with code extensions") {
    study.slices[0].header.specific_character_set = "\\ISO 2022 IR 87";
    CHECK(refusal(study) ==
          "a.dcm: SpecificCharacterSet \"\\ISO 2022 IR 87\" is not written (only "
          "ISO_IR 6, ISO_IR 100 and ISO_IR 192)");
  }
  SUBCASE("UTF-8 is copied with its character set") {
    for (ScoredSlice& slice : study.slices) slice.header.specific_character_set = "ISO_IR 192";
    study.slices[0].header.patient_name = "M\xc3\xbcller^J\xc3\xbcrgen";
    const StudyHeader header = checked_study_header(study);
    CHECK(header.specific_character_set == "ISO_IR 192");
    CHECK(header.patient_name == "M\xc3\xbcller^J\xc3\xbcrgen");
  }
}

}  // namespace ihd::pipeline
