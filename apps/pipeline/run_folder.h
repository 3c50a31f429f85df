// The folders ihd writes into are owned, and locked while written. A folder belongs to ihd when its
// config.json carries a format id: "ihd-run-1" (a training run), "ihd-sweep-1" (a learning-rate
// sweep, whose rounds are runs inside it) or "ihd-eval-1" (an evaluation). The rules:
//   - a new run needs a folder that does not exist or is empty;
//   - a folder that holds a run of the same kind is refused, unless the run is continued
//     (--resume) or explicitly replaced (--overwrite, which deletes only the files ihd writes
//     there and keeps everything else);
//   - a folder that holds anything else is refused, --overwrite or not: ihd never deletes or
//     replaces files it did not write;
//   - while a process writes into the folder it holds an exclusive lock (flock on
//     <folder>/.ihd-lock, which records its pid); a second process is refused with that pid.
// The kernel drops the lock when the holder dies, however it dies, so a killed run never leaves
// its folder locked.
//
// Without --out, ihd_train makes a new folder for every run, runs/<YYYYMMDD-HHMMSS> (local
// time; "-2", "-3"... when the name is taken), and points the symlink runs/latest at it, so that
// no run ever replaces another and the newest is always at the same path. A new run that fails
// before it wrote anything but its config.json takes that back: it removes the folder it created
// (the files it wrote there, then the folder) and points runs/latest where it pointed before.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ihd::pipeline {

inline constexpr const char* kRunFormat = "ihd-run-1";
inline constexpr const char* kSweepFormat = "ihd-sweep-1";
inline constexpr const char* kEvalFormat = "ihd-eval-1";
inline constexpr const char* kRunConfigName = "config.json";
inline constexpr const char* kLockFileName = ".ihd-lock";
inline constexpr const char* kDefaultRunsFolder = "runs";
inline constexpr const char* kLatestRunLinkName = "latest";

enum class FolderUse {
  fresh,      // a new run: the folder must not hold one
  overwrite,  // replace the run there, if any
  resume,     // continue the run there
};

// The format id in folder/config.json, or "" when there is none (no folder, no config.json, or
// one that does not parse or has no "format").
std::string folder_format(const std::filesystem::path& folder);

// The exclusive lock of one folder, held for the life of the object.
class FolderLock {
 public:
  // Takes the lock of `folder` (which must exist); throws ihd::Error naming the holder's pid when
  // another process has it.
  explicit FolderLock(const std::filesystem::path& folder);
  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  ~FolderLock();

 private:
  int fd_ = -1;
};

// Opens `folder` for writing a folder of kind `format` as `use` says: checks the rules above,
// creates the folder, takes its lock, removes what `overwrite` replaces and the temporaries a
// killed writer left. Throws ihd::Error with a message that says what to do instead.
FolderLock open_owned_folder(const std::filesystem::path& folder, const std::string& format,
                             FolderUse use);

// Creates and returns a new, empty folder `parent`/<YYYYMMDD-HHMMSS>[-N] (creating it claims the
// name: two processes starting in the same second get two folders).
std::filesystem::path create_timestamped_run_folder(const std::filesystem::path& parent);

// Points `parent`/latest at `folder` (a child of `parent`) with a relative symlink, replacing an
// older link atomically (a new link renamed over it). Returns false, changing nothing, when
// `parent`/latest exists and is not a symlink (a folder of an older ihd's default runs).
bool link_latest_run(const std::filesystem::path& parent, const std::filesystem::path& folder);

// Where `parent`/latest points (the link's own text), or none when it is not a symlink.
std::optional<std::filesystem::path> latest_run_target(const std::filesystem::path& parent);

// What the start of a new run changed, recorded as it changed it.
struct NewRunChanges {
  std::filesystem::path folder;  // the run's folder
  bool created_folder = false;   // it did not exist before the run
  bool moved_latest = false;     // the run pointed `runs_parent`/latest at it
  std::filesystem::path runs_parent;
  std::optional<std::filesystem::path> latest_before;  // the link's target before; none: no link
};

// After a new run failed: when the run created its folder and the folder holds nothing but
// config.json and the lock file, removes those two and the folder, and when the run moved
// runs/latest, points it back (or removes it, when there was none). Returns a line saying what it
// did, or none when it left everything as it is.
std::optional<std::string> undo_failed_new_run(const NewRunChanges& changes);

}  // namespace ihd::pipeline
