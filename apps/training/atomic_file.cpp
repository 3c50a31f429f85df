// Temporary file + rename; see atomic_file.h. The temporary name carries the process ID so two
// processes writing the same run folder never share a temporary file.
#include "apps/training/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ihd::training {

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    const std::string reason = error.message();
    std::filesystem::remove(temporary, error);
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path.string() + ": " +
                             reason);
  }
}

void write_file_atomically(const std::filesystem::path& path,
                           std::span<const unsigned char> contents) {
  write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(contents.data()), contents.size()));
}

}  // namespace ihd::training
