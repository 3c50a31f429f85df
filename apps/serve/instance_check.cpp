// The per-instance decision: see instance_check.h.
#include "apps/serve/instance_check.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>

#include "common/error.h"
#include "common/file_names.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;

// A limit given in MiB, as the flag took it.
std::string mib_text(std::uint64_t bytes) {
  return std::to_string(bytes >> 20);
}

InstanceDecision refused(InstanceVerdict verdict, std::string kind, std::string reason) {
  InstanceDecision decision;
  decision.verdict = verdict;
  decision.reason_kind = std::move(kind);
  decision.reason = std::move(reason);
  return decision;
}

}  // namespace

bool is_ct_storage_class(const std::string& sop_class_uid) {
  return sop_class_uid == UID_CTImageStorage || sop_class_uid == UID_EnhancedCTImageStorage ||
         sop_class_uid == UID_LegacyConvertedEnhancedCTImageStorage;
}

InstanceDecision decide_instance(const fs::path& file, const std::string& sop_class_uid,
                                 const std::string& sop_instance_uid, std::uint64_t spool_bytes,
                                 const InstanceLimits& limits) {
  std::error_code error;
  const std::uint64_t bytes = fs::file_size(file, error);
  if (error) return refused(InstanceVerdict::out_of_room, "io", "cannot read the received file");
  if (bytes > limits.max_instance_bytes) {
    return refused(InstanceVerdict::out_of_room, "too_large",
                   "instance of " + std::to_string(bytes) + " bytes, over --max-instance-mb " +
                       mib_text(limits.max_instance_bytes));
  }
  if (spool_bytes + bytes > limits.max_spool_bytes) {
    return refused(InstanceVerdict::out_of_room, "spool_full",
                   "spool full (--max-spool-mb " + mib_text(limits.max_spool_bytes) + ")");
  }
  if (!is_ct_storage_class(sop_class_uid)) {
    InstanceDecision decision;
    decision.verdict = InstanceVerdict::not_ct;
    return decision;
  }
  InstanceDecision decision;
  try {
    decision.metadata = data::read_dicom_hu(file, limits.dicom).metadata;
  } catch (const Error& failure) {
    return refused(InstanceVerdict::refuse, std::string(to_string(failure.kind())),
                   failure.reason());
  }
  if (decision.metadata.modality != "CT") {
    decision.verdict = InstanceVerdict::not_ct;
    return decision;
  }
  if (decision.metadata.sop_instance_uid != sop_instance_uid) {
    return refused(InstanceVerdict::refuse, "bad_value",
                   "SOP Instance UID differs from the C-STORE request's");
  }
  for (const std::string* uid :
       {&decision.metadata.study_instance_uid, &decision.metadata.series_instance_uid,
        &decision.metadata.sop_instance_uid}) {
    if (!is_safe_file_name(*uid)) {
      return refused(InstanceVerdict::refuse, "bad_value",
                     "a study, series or SOP instance UID is empty or not a safe file name");
    }
  }
  decision.verdict = InstanceVerdict::store;
  return decision;
}

}  // namespace ihd::serve
