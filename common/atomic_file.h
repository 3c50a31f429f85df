// Atomic file output, the one way ihd writes a file: the bytes go to a temporary file beside the
// target, "<name>.ihd-tmp.<pid>.<n>", which is flushed to disk (fsync) and renamed over the
// target, and the folder is flushed too. A reader, a resumed run or a crash therefore sees the
// old file or the new one, never half of one; a failed write leaves the old file as it was and
// removes its temporary.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

namespace ihd {

// Streams one file into place: write() as often as needed, then commit(). Destroyed without a
// commit (an exception on the way), it removes its temporary and the target is untouched.
// Every failure throws Error(io) naming the target and the system's reason.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  void write(const void* data, std::size_t bytes);
  void commit();

  const std::filesystem::path& temporary_path() const { return temporary_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  int fd_ = -1;
};

void write_file_atomically(const std::filesystem::path& path, std::string_view contents);
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);

// For writers that insist on a file name of their own (DCMTK's saveFile): a temporary name beside
// `path`, and the commit of a file completely written there (fsync, rename, fsync of the folder).
std::filesystem::path temporary_path_for(const std::filesystem::path& path);
void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path);

// Whether `name` is one of the temporaries above; sets *writer_pid to the pid in it.
bool is_ihd_temporary_name(std::string_view name, long* writer_pid);

// Removes the temporaries (files, or folders named by temporary_path_for) in `folder` whose
// writing process no longer runs: what a process killed in the middle of a write leaves behind.
// Nothing else is touched, not even a user's "thesis.tmp.999999". Returns how many it removed;
// never throws.
int remove_abandoned_temporaries(const std::filesystem::path& folder);

}  // namespace ihd
