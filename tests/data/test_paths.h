// Paths the data tests share: committed fixtures, Debian's pydicom test files, a scratch folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace ihd::data {

inline std::filesystem::path fixture_path(const std::string& name) {
  return std::filesystem::path(IHD_TEST_FIXTURES_DIR) / "data" / name;
}

// pydicom's test files (Debian package python3-pydicom); IHD_PYDICOM_TEST_FILES comes from CMake.
inline std::filesystem::path pydicom_test_file(const std::string& name) {
  return std::filesystem::path(IHD_PYDICOM_TEST_FILES) / name;
}

// Writes to `path` a DICOM file in a transfer syntax ihd has no decoder for: pydicom's
// JPEG2000.dcm relabelled JPEG 2000 Part 2 multi-component (1.2.840.10008.1.2.4.92, a UID of the
// same length as its own .91, so that no length in the file changes).
inline void write_undecodable_syntax_file(const std::filesystem::path& path) {
  std::ifstream in(pydicom_test_file("JPEG2000.dcm"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string lossy_j2k = "1.2.840.10008.1.2.4.91";
  const size_t at = bytes.find(lossy_j2k);
  if (at == std::string::npos) throw std::runtime_error("JPEG2000.dcm names no .4.91 syntax");
  bytes.replace(at, lossy_j2k.size(), "1.2.840.10008.1.2.4.92");
  std::ofstream(path, std::ios::binary) << bytes;
}

// A fresh, empty folder in the system temporary area for one test, private to this process so
// that ctest -j can run test cases side by side.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ihd_data_tests." + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ihd::data
