// make_bucket_sums: MPI's host sums for the CPU, NCCL's for a GPU.
#include "engine/distributed/bucket_sums.h"

#include "common/error.h"
#include "engine/distributed/process_group.h"
#if IHD_WITH_NCCL
#include "engine/distributed/nccl_sums.h"
#endif

namespace ihd::distributed {

std::unique_ptr<BucketSums> make_bucket_sums(const ProcessGroup& group, Device device) {
  if (device.is_cpu()) return std::make_unique<PendingSums>(group);
#if IHD_WITH_NCCL
  return std::make_unique<NcclSums>(group);
#else
  IHD_CHECK_INPUT(!group.distributed(), "data-parallel training on ", device.to_string(),
                  " needs NCCL, and this build has none (the CUDA toolkit's nccl.h and libnccl "
                  "were not found at configure time)");
  return std::make_unique<PendingSums>(group);  // one rank: nothing to sum
#endif
}

}  // namespace ihd::distributed
