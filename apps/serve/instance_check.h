// What the node does with one received instance, decided before the C-STORE response: store it,
// ignore it (not CT), or refuse it with a reason. The checks are issue 9's, not a second DICOM
// validator: the file's size against --max-instance-mb and the spool's room against
// --max-spool-mb, then the data layer's reader (data/dicom_reader.h: the pre-parse structure
// check, every header limit, and the pixel data decoded under DicomLimits), and finally that the
// data set is the instance the C-STORE request announced.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "data/dicom_reader.h"

namespace ihd::serve {

struct InstanceLimits {
  std::uint64_t max_instance_bytes = std::uint64_t{512} << 20;
  std::uint64_t max_spool_bytes = std::uint64_t{10} << 30;
  data::DicomLimits dicom;
};

enum class InstanceVerdict {
  store,
  not_ct,       // a storage SOP class or Modality that is not CT: answered success, not kept
  refuse,       // the file breaks a rule: answered with an error status
  out_of_room,  // the spool or the instance is over its limit: answered "out of resources"
};

struct InstanceDecision {
  InstanceVerdict verdict = InstanceVerdict::refuse;
  std::string reason_kind;       // "too_large", "truncated", "spool_full"... (refusals only)
  std::string reason;            // one line, for the log and the response's error comment
  data::DicomMetadata metadata;  // for store: its study, series and SOP instance UIDs
};

// Whether a storage SOP class UID is one of CT's (CT, Enhanced CT, Legacy Converted Enhanced CT).
bool is_ct_storage_class(const std::string& sop_class_uid);

// Decides for the instance received into `file`, announced as `sop_class_uid` /
// `sop_instance_uid`, with `spool_bytes` already in the spool. Never throws for the file's sake.
InstanceDecision decide_instance(const std::filesystem::path& file,
                                 const std::string& sop_class_uid,
                                 const std::string& sop_instance_uid, std::uint64_t spool_bytes,
                                 const InstanceLimits& limits);

}  // namespace ihd::serve
