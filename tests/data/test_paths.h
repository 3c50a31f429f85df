// Paths the data tests share: committed fixtures, Debian's pydicom test files, a scratch folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace ihd::data {

inline std::filesystem::path fixture_path(const std::string& name) {
  return std::filesystem::path(IHD_TEST_FIXTURES_DIR) / "data" / name;
}

// pydicom's test files (Debian package python3-pydicom); IHD_PYDICOM_TEST_FILES comes from CMake.
inline std::filesystem::path pydicom_test_file(const std::string& name) {
  return std::filesystem::path(IHD_PYDICOM_TEST_FILES) / name;
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
