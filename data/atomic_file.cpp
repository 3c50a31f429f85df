// Temp-file-and-rename writing.
#include "data/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <functional>
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

}  // namespace ihd::data
