// Error's message format ("<path>: <reason>") and the names of its kinds.
#include "common/error.h"

namespace ihd {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::general:
      return "general";
    case ErrorKind::unreadable:
      return "unreadable";
    case ErrorKind::empty_file:
      return "empty_file";
    case ErrorKind::not_dicom:
      return "not_dicom";
    case ErrorKind::truncated:
      return "truncated";
    case ErrorKind::no_pixel_data:
      return "no_pixel_data";
    case ErrorKind::unsupported_transfer_syntax:
      return "unsupported_transfer_syntax";
    case ErrorKind::unsupported_pixel_format:
      return "unsupported_pixel_format";
    case ErrorKind::not_ct:
      return "not_ct";
    case ErrorKind::too_large:
      return "too_large";
    case ErrorKind::bad_value:
      return "bad_value";
    case ErrorKind::bad_csv:
      return "bad_csv";
    case ErrorKind::bad_label:
      return "bad_label";
    case ErrorKind::bad_image:
      return "bad_image";
    case ErrorKind::bad_cache:
      return "bad_cache";
    case ErrorKind::bad_config:
      return "bad_config";
    case ErrorKind::io:
      return "io";
  }
  return "unknown";
}

Error as_file_error(const std::string& file, const std::exception& error) {
  const auto* own = dynamic_cast<const Error*>(&error);
  if (own && !own->path().empty()) return *own;
  std::string reason = error.what();
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  for (std::size_t at; (at = reason.find('\n')) != std::string::npos;) reason.replace(at, 1, "; ");
  return Error(own ? own->kind() : ErrorKind::unreadable, file, reason);
}

Error::Error(const std::string& message) : std::runtime_error(message) {}

Error::Error(ErrorKind kind, std::string path, const std::string& reason)
    : std::runtime_error(path + ": " + reason),
      kind_(kind),
      path_(std::move(path)),
      reason_(reason) {}

}  // namespace ihd
