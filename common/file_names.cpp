// The file-name rule of child_path().
#include "common/file_names.h"

#include <string>

#include "common/error.h"

namespace ihd {

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '/' || c == '\\') return false;
  }
  return true;
}

std::filesystem::path child_path(const std::filesystem::path& folder, std::string_view name) {
  if (!is_safe_file_name(name)) {
    std::string shown;
    for (const char c : name.substr(0, 80)) {
      const auto byte = static_cast<unsigned char>(c);
      shown += byte < 0x20 || byte == 0x7f ? '?' : c;
    }
    throw Error(ErrorKind::bad_value, shown,
                "not usable as a file name (1 to 200 bytes, no control character, no '/' or '\\', "
                "not starting with '.')");
  }
  return folder / std::string(name);
}

}  // namespace ihd
