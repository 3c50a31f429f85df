// DataError's message format ("<path>: <reason>") and the names of its kinds.
#include "data/data_error.h"

namespace ihd::data {

std::string_view to_string(DataErrorKind kind) {
  switch (kind) {
    case DataErrorKind::unreadable:
      return "unreadable";
    case DataErrorKind::empty_file:
      return "empty_file";
    case DataErrorKind::not_dicom:
      return "not_dicom";
    case DataErrorKind::truncated:
      return "truncated";
    case DataErrorKind::no_pixel_data:
      return "no_pixel_data";
    case DataErrorKind::unsupported_transfer_syntax:
      return "unsupported_transfer_syntax";
    case DataErrorKind::unsupported_pixel_format:
      return "unsupported_pixel_format";
    case DataErrorKind::bad_csv:
      return "bad_csv";
    case DataErrorKind::bad_image:
      return "bad_image";
    case DataErrorKind::bad_cache:
      return "bad_cache";
    case DataErrorKind::io:
      return "io";
  }
  return "unknown";
}

DataError::DataError(DataErrorKind kind, std::string path, const std::string& reason)
    : std::runtime_error(path + ": " + reason),
      kind_(kind),
      path_(std::move(path)),
      reason_(reason) {}

}  // namespace ihd::data
