// Instances that break issue 9's reading rules yet travel as DICOM (DCMTK's storescu reads and
// sends them), built byte by byte with tests/data/dicom_bytes.h, and a valid image that is not CT.
// Each carries its own SOP instance UID; `reason` is the kind the node must refuse it with.
#pragma once

#include <string>
#include <vector>

#include "data/dicom_bytes.h"

namespace ihd::serve_test {

struct HostileInstance {
  std::string name;
  std::string reason;  // the refusal's kind in the status file; "" for the non-CT image
  std::string bytes;
};

inline std::vector<HostileInstance> hostile_instances(const std::string& uid_prefix) {
  using namespace ihd::data::dicom_bytes;
  const Syntax syntax = Syntax::explicit_little;
  auto identity = [&](const std::string& sop_class, const std::string& sop_instance) {
    return text(syntax, {0x0008, 0x0016}, "UI", sop_class) +
           text(syntax, {0x0008, 0x0018}, "UI", uid_prefix + sop_instance);
  };
  auto study = [&] {
    return text(syntax, {0x0020, 0x000D}, "UI", uid_prefix + "9.1") +
           text(syntax, {0x0020, 0x000E}, "UI", uid_prefix + "9.2");
  };
  auto pixels = [&](std::size_t bytes) {
    return element(syntax, pixel_data_tag, "OW", std::string(bytes, '\0'));
  };
  const std::string ct = "1.2.840.10008.5.1.4.1.1.2";
  std::string mr_attributes = image_attributes(syntax, 4, 4);
  mr_attributes.replace(mr_attributes.find("CT"), 2, "MR");
  return {
      {"nested_100_deep", "too_large",
       part10(explicit_little_uid, identity(ct, "1.1") + image_attributes(syntax, 4, 4) +
                                       nested_sequences(syntax, 100, false) + study() +
                                       pixels(32))},
      {"rows_zero", "bad_value",
       part10(explicit_little_uid, identity(ct, "1.2") + image_attributes(syntax, 0, 4) +
                                       us(syntax, rows_tag, 0) + study() + pixels(32))},
      {"bits_allocated_32", "unsupported_pixel_format",
       part10(explicit_little_uid,
              identity(ct, "1.3") + image_attributes(syntax, 4, 4, 32) + study() + pixels(64))},
      {"pixel_data_short", "truncated",
       part10(explicit_little_uid,
              identity(ct, "1.4") + image_attributes(syntax, 4, 4) + study() + pixels(8))},
      {"mr_image", "",
       part10(explicit_little_uid,
              identity("1.2.840.10008.5.1.4.1.1.4", "1.5") + mr_attributes + study() + pixels(32))},
  };
}

}  // namespace ihd::serve_test
