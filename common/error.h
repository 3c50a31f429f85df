// ihd::Error: the one exception type of ihd, from the kernels to the apps. A failure on a user's
// input (a DICOM file, a CSV row, a weights file, a flag) carries a kind, the path of the file and
// the reason, and its message is "<path>: <reason>" on one line, so that batch tools can name the
// file, count the failure by kind and go on. A broken contract inside the library (IHD_CHECK) has
// kind `general` and names where it was checked.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ihd {

enum class ErrorKind {
  general,                      // a broken contract or a bad flag: no file involved
  unreadable,                   // cannot open or read the file at all
  empty_file,                   // zero bytes
  not_dicom,                    // not parseable as DICOM
  truncated,                    // the file ends before the data it announces
  no_pixel_data,                // DICOM without an image (SR, RT plan, missing Rows/PixelData)
  unsupported_transfer_syntax,  // compressed with a codec we do not decode (JPEG 2000, video...)
  unsupported_pixel_format,     // colour, 1-bit, multi-sample or otherwise not a greyscale image
  not_ct,                       // a DICOM image whose Modality says it is not CT (MR, CR, ...)
  too_large,                    // declares or inflates to more than a limit allows
  bad_value,                    // a header value that is not usable (NaN rescale slope, ...)
  bad_csv,                      // labels file malformed
  bad_label,                    // a label that is not exactly 0 or 1
  bad_image,                    // PNG or other image file that cannot be decoded
  bad_cache,                    // prepared cache inconsistent or built with other options
  bad_config,                   // a run folder's config.json with a missing or invalid value
  io,                           // writing output failed
};

// A short stable name for the kind ("truncated", "too_large"), used in summaries.
std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  // A message that says it all (kind general, no file).
  explicit Error(const std::string& message);
  // A failure on one file: the message is "<path>: <reason>".
  Error(ErrorKind kind, std::string path, const std::string& reason);

  ErrorKind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  ErrorKind kind_ = ErrorKind::general;
  std::string path_;
  std::string reason_;
};

// Whatever a worker caught while working on `file`, as an Error that names a file on one line:
// the error itself when it is an Error naming a file, else Error(kind, file, what()) with the
// kind of an Error, `unreadable` for any other exception, and line breaks turned into "; ".
// Batch tools report and count every per-file failure through it.
Error as_file_error(const std::string& file, const std::exception& error);

namespace detail {
// Joins any streamable arguments into one message.
template <typename... Parts>
std::string join_message(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace ihd

// IHD_CHECK(condition, message parts...): throws ihd::Error naming the failed condition and where
// it is checked (for broken contracts inside the library).
#define IHD_CHECK(condition, ...)                                                           \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      throw ::ihd::Error(::ihd::detail::join_message(__VA_ARGS__, " [", #condition, " at ", \
                                                     __FILE__, ":", __LINE__, "]"));        \
    }                                                                                       \
  } while (0)

// IHD_CHECK_INPUT(condition, message parts...): throws ihd::Error with the message alone, for
// checks of a user's files and flags whose message already says what is wrong and what to do.
#define IHD_CHECK_INPUT(condition, ...)                             \
  do {                                                              \
    if (!(condition)) {                                             \
      throw ::ihd::Error(::ihd::detail::join_message(__VA_ARGS__)); \
    }                                                               \
  } while (0)
