// Temp-file-and-rename writing.
#include "data/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "data/data_error.h"

namespace ihd::data {

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  std::ostringstream suffix;
  suffix << ".tmp." << ::getpid() << '.'
         << std::hash<std::thread::id>{}(std::this_thread::get_id());
  return path.string() + suffix.str();
}

void commit_temporary(const std::filesystem::path& tmp, const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::rename(tmp, path, error);
  if (error) {
    std::filesystem::remove(tmp, error);
    throw DataError(DataErrorKind::io, path.string(), "cannot rename temporary file into place");
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(
      path, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(contents.data()),
                                           contents.size()));
}

void write_file_atomically(const std::filesystem::path& path,
                           std::span<const unsigned char> bytes) {
  const auto tmp = temporary_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();  // the last buffered bytes reach the file here: a full disk fails here too
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw DataError(DataErrorKind::io, path.string(), "cannot write file");
    }
  }
  commit_temporary(tmp, path);
}

namespace {

bool process_is_gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

int remove_abandoned_temporaries(const std::filesystem::path& folder) {
  static const std::regex temporary_name(R"(.+\.tmp\.([0-9]+)(\.[0-9]+)?)");
  std::error_code error;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(error) || !std::regex_match(name, match, temporary_name)) continue;
    const long pid = std::strtol(match[1].str().c_str(), nullptr, 10);
    if (pid > 0 && process_is_gone(static_cast<pid_t>(pid)) &&
        std::filesystem::remove(entry.path(), error)) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace ihd::data
