// GradientAverager: data-parallel training's gradient exchange, as PyTorch DDP does it. The
// trainable parameters are grouped, last layer first (the order backward produces their
// gradients), into buckets of about `bucket_bytes`; during the backward pass, as soon as every
// gradient of a bucket is final (autograd's LeafGradientReady), the bucket's gradients are copied
// into one flat buffer and its sum across the ranks starts (BucketSums: MPI on the CPU, NCCL on a
// GPU), so the communication hides behind the rest of the backward pass. After it every
// parameter's gradient is the mean over the ranks: each rank's loss is the mean over its share of
// the global batch, so the mean of the ranks' gradients is the gradient of the global batch's mean
// loss. A parameter that got no gradient on this step keeps none (the same on every rank, whose
// graphs are the same).
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/distributed/bucket_sums.h"
#include "engine/distributed/process_group.h"
#include "engine/module.h"

namespace ihd::distributed {

// PyTorch DDP's default bucket size.
inline constexpr std::size_t kDefaultBucketBytes = 25u << 20;

class GradientAverager {
 public:
  // parameters: float32, all on one device, the same list in the same order on every rank.
  GradientAverager(const ProcessGroup& group, std::vector<NamedTensor> parameters,
                   std::size_t bucket_bytes = kDefaultBucketBytes);

  // loss.backward(), with the buckets' sums started as their gradients become final; returns when
  // every gradient is the mean over the ranks. The seconds spent waiting for communication after
  // the backward pass ended are in last_wait_seconds().
  void backward(const Tensor& loss);
  double last_wait_seconds() const { return last_wait_seconds_; }
  std::size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<std::size_t> parameters;  // indices into parameters_
    std::vector<int64_t> offsets;         // of each in flat
    int64_t numel = 0;
    std::size_t ready = 0;
    bool started = false;
    Tensor flat;  // made on first use, on the parameters' device
  };
  void on_leaf_ready(const Tensor& leaf);
  void start(Bucket& bucket);

  const ProcessGroup& group_;
  std::vector<NamedTensor> parameters_;
  std::vector<Bucket> buckets_;
  std::unordered_map<const TensorImpl*, std::size_t> bucket_of_;  // parameter -> bucket index
  std::unique_ptr<BucketSums> sums_;
  double last_wait_seconds_ = 0;
};

}  // namespace ihd::distributed
