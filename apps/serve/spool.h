// The node's spool: every instance it acknowledged, one file each, by study and series:
//   SPOOL/<study UID>/<series UID>/<SOP instance UID>.dcm
// An instance is received into SPOOL/.incoming/ (inside the spool, so on the same file system),
// checked, then committed: the file is flushed to disk (fsync), renamed into place and the
// folders above it are flushed too; only then may the C-STORE response say success, so an
// acknowledged instance survives a crash or a power cut. UIDs become names only through
// child_path() (common/file_names.h): a UID that could leave the spool or hide in it is refused.
// The same SOP instance sent twice is kept once (the second is a duplicate).
//
// A study's results being written is recorded by a marker file in its folder (".processed",
// a name no UID can take); an instance arriving later removes it again. What is in .incoming/ when
// the spool is opened was never acknowledged (a crash while receiving) and is removed; the
// studies without a marker are those the node still has to finish (restart).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace ihd::serve {

enum class CommitOutcome { stored, duplicate };

class Spool {
 public:
  // Opens the spool at `root`, creating it; empties .incoming/ and counts the bytes it holds.
  explicit Spool(std::filesystem::path root);

  // A new, unused path in .incoming/ for one instance being received.
  std::filesystem::path incoming_path();

  // Moves `incoming` (a received, checked instance) into place as described above, or, when the
  // instance is there already, removes it (duplicate). Throws Error(bad_value) naming the UID when
  // a UID is not a safe file name, Error(io) when the file system fails.
  CommitOutcome commit(const std::filesystem::path& incoming, const std::string& study_uid,
                       const std::string& series_uid, const std::string& sop_instance_uid);

  // The bytes of the instances committed (those on disk when it opened, and since).
  std::uint64_t stored_bytes() const;

  // The studies whose results are not written (no marker), by UID.
  std::vector<std::string> unfinished_studies() const;
  // Every instance file of a study, in name order.
  std::vector<std::filesystem::path> instance_files(const std::string& study_uid) const;
  void mark_processed(const std::string& study_uid);
  void mark_unprocessed(const std::string& study_uid);

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  std::filesystem::path incoming_;
  mutable std::mutex mutex_;  // guards the counters
  std::uint64_t next_incoming_ = 0;
  std::uint64_t stored_bytes_ = 0;
};

}  // namespace ihd::serve
