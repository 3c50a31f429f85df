// What the data tests share: committed fixtures, Debian's pydicom test files, a scratch folder,
// and running the outside tools that make or check their inputs (gdcmconv, pydicom scripts).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

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

// Runs `words` (the program's path first) with its output thrown away; true when it exits 0.
inline bool run_quietly(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  const int spawned = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#ifdef IHD_GDCMCONV
// GDCM's gdcmconv (IHD_GDCMCONV from CMake, for the tests that name it) with `arguments`; true
// when it exits 0.
inline bool gdcmconv(const std::vector<std::string>& arguments) {
  std::vector<std::string> words = {IHD_GDCMCONV};
  words.insert(words.end(), arguments.begin(), arguments.end());
  return run_quietly(words);
}
#endif

}  // namespace ihd::data
