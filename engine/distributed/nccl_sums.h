// NcclSums: BucketSums over NCCL for GPU memory (built only with IHD_WITH_NCCL). As llm.c does,
// rank 0's ncclUniqueId goes to every rank by MPI broadcast and each rank joins the communicator
// with ncclCommInitRank on the GPU it already selected (cuda:<local rank>). The communicator is
// non-blocking, each sum runs on a stream of its own that first waits for an event recorded on the
// compute stream (the bucket's gradients are copied in by then). wait() is the watchdog: it polls
// the sums' event and the communicator's asynchronous error, then makes the compute stream wait
// for the sums (the optimizer step queued after it sees them); after `timeout_seconds` without completion (a rank died or hangs) it calls
// ncclCommAbort and throws, naming the rank, so the job ends instead of hanging.
#pragma once

#include <memory>

#include "engine/distributed/bucket_sums.h"

namespace ihd::distributed {

class NcclSums final : public BucketSums {
 public:
  explicit NcclSums(const ProcessGroup& group, double timeout_seconds = 300);
  ~NcclSums() override;
  NcclSums(const NcclSums&) = delete;
  NcclSums& operator=(const NcclSums&) = delete;

  void start(float* values, std::size_t count) override;
  double wait() override;

 private:
  struct State;
  const ProcessGroup& group_;
  double timeout_seconds_;
  std::unique_ptr<State> state_;
};

}  // namespace ihd::distributed
