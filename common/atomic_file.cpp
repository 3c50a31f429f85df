// Temporary file, fsync, rename, fsync of the folder.
#include "common/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "common/error.h"

namespace ihd {
namespace {

constexpr std::string_view kTemporaryMarker = ".ihd-tmp.";

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(ErrorKind::io, path.string(), what + ": " + std::strerror(errno));
}

void write_all(int fd, const void* data, std::size_t bytes, const std::filesystem::path& path) {
  const char* cursor = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t written = ::write(fd, cursor, bytes);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot write file");
    }
    cursor += written;
    bytes -= static_cast<std::size_t>(written);
  }
}

// Makes the rename itself durable. A folder that cannot be opened or flushed (some network file
// systems) is not an error: the file's own data already reached the disk.
void sync_folder_of(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool process_is_gone(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned long> sequence{0};
  return path.string() + std::string(kTemporaryMarker) + std::to_string(::getpid()) + "." +
         std::to_string(sequence.fetch_add(1));
}

void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path) {
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    fail(path, "cannot move the written file into place");
  }
  sync_folder_of(path);
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path)
    : path_(std::move(path)), temporary_(temporary_path_for(path_)) {
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "cannot create file");
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temporary_.c_str());
}

void AtomicFileWriter::write(const void* data, std::size_t bytes) {
  write_all(fd_, data, bytes, path_);
}

void AtomicFileWriter::commit() {
  const bool flushed = ::fsync(fd_) == 0;
  const int saved = errno;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!flushed || !closed || ::rename(temporary_.c_str(), path_.c_str()) != 0) {
    if (!flushed) errno = saved;
    const int reason = errno;
    ::unlink(temporary_.c_str());
    errno = reason;
    fail(path_, "cannot write file");
  }
  sync_folder_of(path_);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.write(contents.data(), contents.size());
  writer.commit();
}

void write_file_atomically(const std::filesystem::path& path,
                           std::span<const unsigned char> bytes) {
  AtomicFileWriter writer(path);
  writer.write(bytes.data(), bytes.size());
  writer.commit();
}

bool is_ihd_temporary_name(std::string_view name, long* writer_pid) {
  const std::size_t marker = name.rfind(kTemporaryMarker);
  if (marker == std::string_view::npos || marker == 0) return false;
  const std::string_view rest = name.substr(marker + kTemporaryMarker.size());
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) return false;
  long pid = 0;
  const auto [pid_end, pid_error] = std::from_chars(rest.data(), rest.data() + dot, pid);
  unsigned long sequence = 0;
  const auto [sequence_end, sequence_error] =
      std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), sequence);
  if (pid_error != std::errc() || pid_end != rest.data() + dot || pid <= 0 ||
      sequence_error != std::errc() || sequence_end != rest.data() + rest.size()) {
    return false;
  }
  if (writer_pid) *writer_pid = pid;
  return true;
}

int remove_abandoned_temporaries(const std::filesystem::path& folder) {
  std::error_code error;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    long pid = 0;
    if (!is_ihd_temporary_name(entry.path().filename().string(), &pid) || entry.is_symlink(error)) {
      continue;
    }
    if (process_is_gone(pid) && std::filesystem::remove_all(entry.path(), error) > 0) ++removed;
  }
  return removed;
}

}  // namespace ihd
