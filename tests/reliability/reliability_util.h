// Helpers the reliability tests share: a private scratch folder, whole-file reads and writes, and
// the check every bad-input row makes: the call throws, and the message is one line that names
// the offending file and says what is wrong.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

namespace ihd::reliability {

// A fresh, empty folder for one test, private to this process so ctest -j can run cases together.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ihd_reliability_tests." + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The message `call` throws, or "" when it does not throw.
inline std::string thrown_message(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

// `call` must throw a one-line message that names `file` and contains `reason`.
inline void check_clear_error(const std::function<void()>& call, const std::filesystem::path& file,
                              const std::string& reason) {
  const std::string message = thrown_message(call);
  CAPTURE(message);
  REQUIRE_FALSE(message.empty());
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find(file.filename().string()) != std::string::npos);
  CHECK(message.find(reason) != std::string::npos);
}

}  // namespace ihd::reliability
