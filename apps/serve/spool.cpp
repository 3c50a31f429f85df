// The spool's layout and its commit: see spool.h.
#include "apps/serve/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "common/error.h"
#include "common/file_names.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIncomingFolder = ".incoming";
constexpr const char* kProcessedMarker = ".processed";
constexpr const char* kInstanceExtension = ".dcm";

[[noreturn]] void fail_io(const fs::path& path, const std::string& what) {
  throw Error(ErrorKind::io, path.string(), what + ": " + std::strerror(errno));
}

// fsync of a file or folder; what it flushes survives a power cut.
void flush_to_disk(const fs::path& path, bool folder) {
  const int fd = ::open(path.c_str(), (folder ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) fail_io(path, "cannot open to flush it to disk");
  const bool flushed = ::fsync(fd) == 0;
  ::close(fd);
  if (!flushed) fail_io(path, "cannot flush to disk");
}

// Creates `folder` when it is missing, and then flushes its parent (which now names it).
void create_folder_durably(const fs::path& folder) {
  std::error_code error;
  if (fs::create_directory(folder, error)) {
    flush_to_disk(folder.parent_path(), true);
  } else if (error) {
    throw Error(ErrorKind::io, folder.string(), "cannot create folder: " + error.message());
  }
}

}  // namespace

Spool::Spool(fs::path root) : root_(std::move(root)), incoming_(root_ / kIncomingFolder) {
  std::error_code error;
  fs::create_directories(root_, error);
  if (error)
    throw Error(ErrorKind::io, root_.string(), "cannot create the spool: " + error.message());
  fs::remove_all(incoming_, error);
  if (error) throw Error(ErrorKind::io, incoming_.string(), "cannot empty: " + error.message());
  create_folder_durably(incoming_);
  for (const auto& study : fs::directory_iterator(root_)) {
    if (!study.is_directory() || study.path() == incoming_) continue;
    for (const auto& entry : fs::recursive_directory_iterator(study.path())) {
      if (entry.is_regular_file() && entry.path().extension() == kInstanceExtension) {
        stored_bytes_ += entry.file_size();
      }
    }
  }
}

fs::path Spool::incoming_path() {
  std::lock_guard lock(mutex_);
  return incoming_ / ("instance-" + std::to_string(next_incoming_++) + kInstanceExtension);
}

CommitOutcome Spool::commit(const fs::path& incoming, const std::string& study_uid,
                            const std::string& series_uid, const std::string& sop_instance_uid) {
  const fs::path study_folder = child_path(root_, study_uid);
  const fs::path series_folder = child_path(study_folder, series_uid);
  const fs::path target = child_path(series_folder, sop_instance_uid).concat(kInstanceExtension);
  const std::uint64_t bytes = fs::file_size(incoming);
  flush_to_disk(incoming, false);
  create_folder_durably(study_folder);
  create_folder_durably(series_folder);
  // RENAME_NOREPLACE: of two copies of one instance committed at once, exactly one lands.
  if (::renameat2(AT_FDCWD, incoming.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EEXIST) fail_io(target, "cannot move the received instance into place");
    fs::remove(incoming);
    return CommitOutcome::duplicate;
  }
  flush_to_disk(series_folder, true);
  std::lock_guard lock(mutex_);
  stored_bytes_ += bytes;
  return CommitOutcome::stored;
}

std::uint64_t Spool::stored_bytes() const {
  std::lock_guard lock(mutex_);
  return stored_bytes_;
}

std::vector<std::string> Spool::unfinished_studies() const {
  std::vector<std::string> studies;
  for (const auto& study : fs::directory_iterator(root_)) {
    const std::string name = study.path().filename().string();
    if (study.is_directory() && is_safe_file_name(name) &&
        !fs::exists(study.path() / kProcessedMarker)) {
      studies.push_back(name);
    }
  }
  std::sort(studies.begin(), studies.end());
  return studies;
}

std::vector<fs::path> Spool::instance_files(const std::string& study_uid) const {
  std::vector<fs::path> files;
  const fs::path study_folder = child_path(root_, study_uid);
  for (const auto& entry : fs::recursive_directory_iterator(study_folder)) {
    if (entry.is_regular_file() && entry.path().extension() == kInstanceExtension) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void Spool::mark_processed(const std::string& study_uid) {
  const fs::path marker = child_path(root_, study_uid) / kProcessedMarker;
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail_io(marker, "cannot create");
  ::close(fd);
  flush_to_disk(marker.parent_path(), true);
}

void Spool::mark_unprocessed(const std::string& study_uid) {
  const fs::path marker = child_path(root_, study_uid) / kProcessedMarker;
  if (::unlink(marker.c_str()) == 0) {
    flush_to_disk(marker.parent_path(), true);
  } else if (errno != ENOENT) {
    fail_io(marker, "cannot remove");
  }
}

}  // namespace ihd::serve
