// Each value through DCMTK's own VR check (dcmdata's checkStringValue), plus the rules DCMTK
// leaves to the writer: control characters, PatientSex's values, one PatientID per study.
#include "apps/pipeline/dicom_study_header.h"

#include <dcmtk/dcmdata/dcvrcs.h>
#include <dcmtk/dcmdata/dcvrda.h>
#include <dcmtk/dcmdata/dcvrlo.h>
#include <dcmtk/dcmdata/dcvrpn.h>
#include <dcmtk/dcmdata/dcvrsh.h>
#include <dcmtk/dcmdata/dcvrtm.h>

#include <algorithm>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

enum class Vr { lo, pn, da, tm, sh, cs };

[[noreturn]] void refuse(const ScoredSlice& slice, const std::string& reason) {
  throw Error(ErrorKind::bad_value, slice.file.string(), reason);
}

bool has_control_character(std::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// `value` checked for `vr` (one value, in `charset`); refuses the study naming `keyword`.
std::string checked(const ScoredSlice& slice, const char* keyword, const std::string& value, Vr vr,
                    const std::string& charset) {
  const auto& over_long = slice.header.over_long;
  if (std::find(over_long.begin(), over_long.end(), keyword) != over_long.end()) {
    refuse(slice, std::string(keyword) + " is longer than " +
                      std::to_string(data::kMaxIdentityValueBytes) + " bytes");
  }
  if (has_control_character(value)) {
    refuse(slice, std::string(keyword) + " holds a control character");
  }
  if (value.empty()) return value;
  const OFString text(value.data(), value.size());
  OFCondition status;
  switch (vr) {
    case Vr::lo:
      status = DcmLongString::checkStringValue(text, "1", charset.c_str());
      break;
    case Vr::pn:
      status = DcmPersonName::checkStringValue(text, "1", charset.c_str());
      break;
    case Vr::da:
      status = DcmDate::checkStringValue(text, "1");
      break;
    case Vr::tm:
      status = DcmTime::checkStringValue(text, "1");
      break;
    case Vr::sh:
      status = DcmShortString::checkStringValue(text, "1", charset.c_str());
      break;
    case Vr::cs:
      status = DcmCodeString::checkStringValue(text, "1");
      break;
  }
  if (status.bad()) {
    refuse(slice, std::string(keyword) + " is not a valid value of its VR (" + status.text() + ")");
  }
  return value;
}

std::string checked_uid(const ScoredSlice& slice, const char* keyword, const std::string& value) {
  if (!is_valid_uid(value)) {
    std::string shown = value.substr(0, 64);
    std::replace_if(
        shown.begin(), shown.end(),
        [](char c) {
          return has_control_character({&c, 1});
        },
        '?');
    refuse(slice, std::string(keyword) + " \"" + shown + (value.size() > 64 ? "..." : "") +
                      "\" is not a valid DICOM UID (digits and dots, at most 64)");
  }
  return value;
}

}  // namespace

bool is_valid_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (size_t start = 0;;) {
    const size_t dot = uid.find('.', start);
    const std::string_view part =
        uid.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || (part.size() > 1 && part[0] == '0')) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

StudyHeader checked_study_header(const StudyPrediction& study) {
  IHD_CHECK(!study.slices.empty(), "a study without slices");
  const ScoredSlice& first = study.slices.front();
  const data::DicomIdentity& source = first.header;
  StudyHeader header;
  const std::string& charset = source.specific_character_set;
  if (charset == "ISO_IR 100" || charset == "ISO_IR 192") {
    header.specific_character_set = charset;
  } else if (!charset.empty() && charset != "ISO_IR 6") {
    std::string shown = charset.substr(0, 64);
    std::replace_if(
        shown.begin(), shown.end(),
        [](char c) {
          return has_control_character({&c, 1});
        },
        '?');
    refuse(first, "SpecificCharacterSet \"" + shown +
                      "\" is not written (only ISO_IR 6, ISO_IR 100 and ISO_IR 192)");
  }
  header.study_instance_uid = checked_uid(first, "StudyInstanceUID", source.study_instance_uid);
  header.patient_id = checked(first, "PatientID", source.patient_id, Vr::lo, charset);
  for (const ScoredSlice& slice : study.slices) {
    if (slice.header.patient_id != source.patient_id) {
      refuse(slice,
             "its PatientID differs from that of " + first.file.string() + " in the same study");
    }
  }
  header.patient_name = checked(first, "PatientName", source.patient_name, Vr::pn, charset);
  header.patient_birth_date =
      checked(first, "PatientBirthDate", source.patient_birth_date, Vr::da, charset);
  header.patient_sex = checked(first, "PatientSex", source.patient_sex, Vr::cs, charset);
  if (!header.patient_sex.empty() && header.patient_sex != "M" && header.patient_sex != "F" &&
      header.patient_sex != "O") {
    refuse(first, "PatientSex \"" + header.patient_sex + "\" is none of M, F, O");
  }
  header.study_date = checked(first, "StudyDate", source.study_date, Vr::da, charset);
  header.study_time = checked(first, "StudyTime", source.study_time, Vr::tm, charset);
  header.accession_number =
      checked(first, "AccessionNumber", source.accession_number, Vr::sh, charset);
  header.referring_physician_name =
      checked(first, "ReferringPhysicianName", source.referring_physician_name, Vr::pn, charset);
  header.study_id = checked(first, "StudyID", source.study_id, Vr::sh, charset);
  for (size_t k : study.key_slices) {
    const ScoredSlice& slice = study.slices[k];
    checked_uid(slice, "SeriesInstanceUID", slice.header.series_instance_uid);
    checked_uid(slice, "SOPClassUID", slice.header.sop_class_uid);
    checked_uid(slice, "SOPInstanceUID", slice.header.sop_instance_uid);
  }
  return header;
}

}  // namespace ihd::pipeline
