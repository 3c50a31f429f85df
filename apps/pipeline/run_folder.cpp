// Ownership checks, the folder lock, what --overwrite removes, and the default run folders.
#include "apps/pipeline/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "apps/pipeline/run_config.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// Every name ihd writes at the top of an owned folder (runs, sweeps, evaluations, features);
// --overwrite removes these and nothing else. Names ending in '*' match a prefix (eval-test...).
constexpr std::array<std::string_view, 18> kOwnedNames = {kRunConfigName,
                                                          "history.csv",
                                                          "history.json",
                                                          "report.html",
                                                          "plots",
                                                          "best.safetensors",
                                                          "last.safetensors",
                                                          "resume.safetensors",
                                                          "best_predictions.csv",
                                                          "predictions.csv",
                                                          "eval-*",
                                                          "round1",
                                                          "round2",
                                                          "final",
                                                          "features",
                                                          "sequence",
                                                          "slices.tsv",
                                                          "features.safetensors"};

bool is_owned_name(const std::string& name) {
  for (std::string_view owned : kOwnedNames) {
    if (owned.back() == '*' ? name.rfind(owned.substr(0, owned.size() - 1), 0) == 0
                            : name == owned) {
      return true;
    }
  }
  return false;
}

// Whether the folder holds anything but our lock file.
bool holds_files(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename() != kLockFileName) return true;
  }
  return false;
}

std::string kind_name(const std::string& format) {
  if (format == kSweepFormat) return "a learning-rate sweep";
  if (format == kEvalFormat) return "an evaluation";
  return "a training run";
}

// Refuses what the rules forbid, before anything is created in the folder.
void check_folder_rules(const fs::path& folder, const std::string& format, FolderUse use) {
  const std::string where = folder.string();
  if (fs::exists(folder) && !fs::is_directory(folder)) {
    throw Error(ErrorKind::io, where, "exists and is not a folder");
  }
  const std::string found = folder_format(folder);
  if (use == FolderUse::resume) {
    if (found != format) {
      throw Error(ErrorKind::bad_config, where,
                  "holds no " + kind_name(format) + " to continue (no " + kRunConfigName +
                      " with format " + format + ")");
    }
    return;
  }
  if (!fs::exists(folder) || !holds_files(folder)) return;
  if (found == format) {
    if (use == FolderUse::overwrite) return;
    throw Error(ErrorKind::io, where,
                "holds " + kind_name(format) +
                    " already: continue it with --resume, replace it with --overwrite, or "
                    "choose another --out");
  }
  throw Error(ErrorKind::io, where,
              found.empty() ? "exists and holds files that are not ihd's: choose another --out "
                              "(ihd never replaces files it did not write)"
                            : "holds " + kind_name(found) + ", not " + kind_name(format) +
                                  ": choose another --out");
}

void remove_owned_files(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (is_owned_name(entry.path().filename().string())) fs::remove_all(entry.path());
  }
}

// Points `parent`/latest at `target` (the link's text), replacing an older link atomically: a new
// link renamed over it.
void point_latest_link(const fs::path& parent, const fs::path& target) {
  const fs::path temporary =
      parent / (std::string(".") + kLatestRunLinkName + ".ihd-link." + std::to_string(::getpid()));
  std::error_code error;
  fs::remove(temporary, error);
  fs::create_directory_symlink(target, temporary);
  fs::rename(temporary, parent / kLatestRunLinkName);  // rename(2) replaces the old link at once
}

}  // namespace

std::string folder_format(const fs::path& folder) {
  const fs::path config = folder / kRunConfigName;
  std::error_code error;
  if (!fs::is_regular_file(config, error)) return "";
  try {
    const auto values = read_run_config(config);
    const auto found = values.find("format");
    return found == values.end() ? "" : found->second;
  } catch (const std::exception&) {
    return "";
  }
}

FolderLock::FolderLock(const fs::path& folder) {
  const fs::path path = folder / kLockFileName;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ErrorKind::io, path.string(),
                std::string("cannot create the lock file: ") + std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t length = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    throw Error(ErrorKind::io, folder.string(),
                "in use by another ihd process (pid " +
                    (length > 0 ? std::string(holder, static_cast<size_t>(length)) : "unknown") +
                    "); wait for it to finish or choose another --out");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock is held either way; only the pid shown to a second process is lost.
  }
}

FolderLock::FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

FolderLock open_owned_folder(const fs::path& folder, const std::string& format, FolderUse use) {
  check_folder_rules(folder, format, use);
  fs::create_directories(folder);
  FolderLock lock(folder);
  // Checked again under the lock: another process may have started a run here in between.
  check_folder_rules(folder, format, use);
  if (use == FolderUse::overwrite) remove_owned_files(folder);
  if (const int removed = remove_abandoned_temporaries(folder); removed > 0) {
    std::printf("removed %d temporary file(s) left by an interrupted run\n", removed);
  }
  return lock;
}

fs::path create_timestamped_run_folder(const fs::path& parent) {
  fs::create_directories(parent);
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  for (int suffix = 1;; ++suffix) {
    const fs::path folder =
        parent /
        (suffix == 1 ? std::string(stamp) : std::string(stamp) + "-" + std::to_string(suffix));
    std::error_code error;
    if (fs::create_directory(folder, error)) return folder;  // false: the name is taken
    if (error) {
      throw Error(ErrorKind::io, folder.string(),
                  "cannot create the run folder: " + error.message());
    }
  }
}

bool link_latest_run(const fs::path& parent, const fs::path& folder) {
  const fs::path link = parent / kLatestRunLinkName;
  std::error_code error;
  const fs::file_status status = fs::symlink_status(link, error);
  if (fs::exists(status) && !fs::is_symlink(status)) return false;
  point_latest_link(parent, folder.filename());
  return true;
}

std::optional<fs::path> latest_run_target(const fs::path& parent) {
  std::error_code error;
  const fs::path target = fs::read_symlink(parent / kLatestRunLinkName, error);
  if (error) return std::nullopt;
  return target;
}

std::optional<std::string> undo_failed_new_run(const NewRunChanges& changes) {
  if (!changes.created_folder) return std::nullopt;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(changes.folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name != kRunConfigName && name != kLockFileName) return std::nullopt;
  }
  if (error) return std::nullopt;
  fs::remove(changes.folder / kRunConfigName, error);
  fs::remove(changes.folder / kLockFileName, error);
  if (!fs::remove(changes.folder, error)) return std::nullopt;
  std::string said = "removed " + changes.folder.string() + " (the run wrote nothing but its " +
                     kRunConfigName + ")";
  if (!changes.moved_latest) return said;
  const fs::path link = changes.runs_parent / kLatestRunLinkName;
  if (changes.latest_before) {
    point_latest_link(changes.runs_parent, *changes.latest_before);
    return said + "; " + link.string() + " points at " + changes.latest_before->string() + " again";
  }
  fs::remove(link, error);
  return said + " and " + link.string();
}

}  // namespace ihd::pipeline
