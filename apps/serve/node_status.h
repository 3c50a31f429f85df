// What the node has done, counted: associations accepted and rejected (by reason), C-ECHOs,
// C-STORE requests received and how each ended (stored, duplicate, refused by reason, ignored as
// not CT), studies finished or failed, results not sent, and how long results took (from a study's
// last instance to its results written). Every worker thread counts through one NodeStatus (a mutex
// guards it). It is published two ways: the status file, JSON, rewritten atomically
// (common/atomic_file.h) so that a reader never sees half of it, and a one-line summary for stdout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

namespace ihd::serve {

class NodeStatus {
 public:
  void association_accepted();
  void association_rejected(const std::string& reason);
  void echo_answered();
  void instance_received();
  void instance_stored();
  void instance_duplicate();
  void instance_refused(const std::string& reason);
  void instance_not_ct();
  // A study's results written (again, when instances arrived after its first results).
  void study_done(double seconds_after_last_instance);
  void study_failed();
  void send_failed();
  void set_studies_pending(std::uint64_t studies);  // known and without up-to-date results
  void set_state(const std::string& state);         // "listening", "stopping", "stopped"

  // The status as one JSON object.
  std::string json() const;
  // "received 40 (stored 38, duplicates 1, refused 1, not CT 0); studies 2 done, 0 failed;
  // last result 1.52 s after its last instance".
  std::string line() const;
  // Rewrites `path` (atomically) when anything changed since the last write; `path` empty: no-op.
  void publish(const std::filesystem::path& path);

 private:
  mutable std::mutex mutex_;
  std::uint64_t version_ = 0;  // counts every change
  std::uint64_t published_version_ = UINT64_MAX;
  std::string state_ = "starting";
  std::uint64_t associations_accepted_ = 0;
  std::map<std::string, std::uint64_t> associations_rejected_;
  std::uint64_t echoes_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t stored_ = 0;
  std::uint64_t duplicates_ = 0;
  std::map<std::string, std::uint64_t> refused_;
  std::uint64_t not_ct_ = 0;
  std::uint64_t studies_done_ = 0;
  std::uint64_t studies_failed_ = 0;
  std::uint64_t sends_failed_ = 0;
  std::uint64_t studies_pending_ = 0;
  double last_latency_seconds_ = 0;
  double max_latency_seconds_ = 0;
  double total_latency_seconds_ = 0;
};

}  // namespace ihd::serve
