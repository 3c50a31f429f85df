// Paths the data tests share: committed fixtures, Debian's pydicom test files, a scratch folder.
#pragma once

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

// A fresh, empty folder under the build tree's temporary area for one test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "ihd_data_tests" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ihd::data
