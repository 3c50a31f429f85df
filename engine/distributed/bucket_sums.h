// BucketSums: sums of flat float32 buffers across the ranks of a job that run while the caller
// goes on, the transport of gradient buckets (gradient_averager.h). Two implementations: MPI on
// host memory (PendingSums, process_group.h) and NCCL on GPU memory on a stream of its own
// (NcclSums, nccl_sums.h). make_bucket_sums picks the one for the parameters' device.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/device.h"

namespace ihd::distributed {

class ProcessGroup;

class BucketSums {
 public:
  virtual ~BucketSums() = default;
  // Starts summing `count` floats at `values` (memory of the device these sums were made for) in
  // place; the memory stays untouched by the caller until wait() returns. Every rank starts the
  // same sums in the same order.
  virtual void start(float* values, std::size_t count) = 0;
  // Lets the transport advance the sums in flight (MPI needs it; NCCL does not).
  virtual void progress() {}
  // Ends every started sum: its result is in place for the work that follows (on CUDA, for the
  // work queued after it on the compute stream). Returns the seconds the caller waited.
  virtual double wait() = 0;
};

// The transport for buffers on `device`: MPI for the CPU, NCCL for a GPU (throws ihd::Error in a
// build without NCCL).
std::unique_ptr<BucketSums> make_bucket_sums(const ProcessGroup& group, Device device);

}  // namespace ihd::distributed
