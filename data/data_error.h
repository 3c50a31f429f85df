// DataError: the one exception type of the data layer. Every failure to read an input (a DICOM
// file, a CSV, a PNG, a cache shard) becomes a DataError that names the file and the reason on
// one line, plus a kind, so that batch tools can skip the file, count it by kind and go on.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ihd::data {

enum class DataErrorKind {
  unreadable,                   // cannot open or read the file at all
  empty_file,                   // zero bytes
  not_dicom,                    // DCMTK could not parse it as DICOM
  truncated,                    // the file ends before the data it announces
  no_pixel_data,                // DICOM without an image (SR, RT plan, missing Rows/PixelData)
  unsupported_transfer_syntax,  // compressed with a codec we do not decode (JPEG 2000, video...)
  unsupported_pixel_format,     // colour, 1-bit, multi-sample or otherwise not a greyscale image
  bad_csv,                      // labels file malformed
  bad_image,                    // PNG or other image file that cannot be decoded
  bad_cache,                    // prepared cache inconsistent or built with other options
  io,                           // writing output failed
};

// A short stable name for the kind ("truncated", "unsupported_transfer_syntax"), used in summaries.
std::string_view to_string(DataErrorKind kind);

class DataError : public std::runtime_error {
 public:
  DataError(DataErrorKind kind, std::string path, const std::string& reason);

  DataErrorKind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  DataErrorKind kind_;
  std::string path_;
  std::string reason_;
};

}  // namespace ihd::data
