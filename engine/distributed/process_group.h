// ProcessGroup: the ranks of a data-parallel job and the host-memory collectives between them,
// over MPI. A process started by mpirun or srun (their environment says so) joins MPI's world;
// any other process is a group of one in which every collective is a copy or nothing, and no MPI
// call is ever made, so `ihd_train` alone behaves as it always did, with or without MPI built in.
//
// Rules every caller follows (MPI's own): all ranks call the same collectives in the same order
// with the same sizes; only the calling (main) thread uses the group. A rank that must stop the
// job calls abort(), which ends every rank at once (MPI_Abort), so that no rank waits forever in
// a collective for one that will never come.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/distributed/bucket_sums.h"

namespace ihd::distributed {

class ProcessGroup {
 public:
  // The process's group, made on first use (MPI_Init_thread when started by a launcher). Throws
  // ihd::Error when a launcher started several ranks of a build without MPI.
  static ProcessGroup& world();
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // This rank among the ranks on its machine (selects its GPU), and how many run there.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }
  // True when a launcher started this process and the group runs on MPI (also with one rank,
  // which exercises the whole data-parallel path on one machine).
  bool launched() const { return uses_mpi_; }
  // "rank 1 of 2: " in a job of several ranks, "" otherwise: the prefix of every message a rank
  // prints on its own.
  std::string message_prefix() const;

  // Rank 0's `bytes` bytes at `data` replace every other rank's.
  void broadcast(void* data, std::size_t bytes) const;
  // Rank 0's text replaces every other rank's (any length).
  void broadcast(std::string& text) const;
  // Sums in place over the ranks: every rank ends with the same sums.
  void sum(float* values, std::size_t count) const;
  void sum(double* values, std::size_t count) const;
  // Every rank's `count` values, rank 0's first, on every rank.
  std::vector<float> all_gather(const float* values, std::size_t count) const;
  std::vector<double> all_gather(const double* values, std::size_t count) const;
  // Every rank's `values` (any length per rank), rank 0's first, on every rank.
  std::vector<double> all_gather_varying(const std::vector<double>& values) const;
  // Every rank's `values` (any length per rank), rank 0's first, on rank 0 alone (the others get
  // none): results too large to hold on every rank (ihd_embed's features). At most INT_MAX values
  // in all (MPI's counts are int).
  std::vector<float> gather_varying(const std::vector<float>& values) const;
  // Every rank's value, rank 0's first, on every rank.
  std::vector<std::uint64_t> all_gather(std::uint64_t value) const;
  void barrier() const;
  // Prints `message` (with message_prefix()) to stderr and ends every rank of the job with
  // `exit_code`; in a group of one, exits with it.
  [[noreturn]] void abort(int exit_code, const std::string& message) const;

 private:
  ProcessGroup();
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  bool uses_mpi_ = false;
};

// Sums over the ranks of host memory that run while the caller goes on (MPI_Iallreduce), for
// gradient buckets on the CPU. MPI on the CPU moves data only inside its calls, so the caller
// pokes progress() between pieces of other work.
class PendingSums final : public BucketSums {
 public:
  explicit PendingSums(const ProcessGroup& group);
  ~PendingSums() override;

  void start(float* values, std::size_t count) override;
  void progress() override;
  double wait() override;

 private:
  struct Requests;
  const ProcessGroup& group_;
  std::unique_ptr<Requests> requests_;
};

// True when this build can run several ranks (MPI found at configure time).
bool mpi_compiled();

}  // namespace ihd::distributed
