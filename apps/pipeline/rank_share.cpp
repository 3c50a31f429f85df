// A rank's output, threads, device and share of the data passes.
#include "apps/pipeline/rank_share.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "common/error.h"

namespace ihd::pipeline {

void silence_all_but_root(const distributed::ProcessGroup& group) {
  if (!group.is_root() && !std::freopen("/dev/null", "w", stdout)) {
    throw Error("cannot silence this rank's output (/dev/null)");
  }
}

int rank_threads(int requested, const distributed::ProcessGroup& group) {
  if (requested > 0) return requested;
  if (group.local_size() == 1) return 0;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores / group.local_size());
}

Device rank_device(const std::string& name, const distributed::ProcessGroup& group) {
  const Device device = Device::parse(name);
  if (!device.is_cuda() || !group.launched()) return device;
  if (name == "cuda") return Device::cuda(group.local_rank());
  IHD_CHECK_INPUT(group.local_size() == 1, "--device ", name, " names one GPU for the ",
                  group.local_size(),
                  " ranks on this machine: give --device cuda, and each rank "
                  "takes cuda:<its local rank>");
  return device;
}

data::WorkShare rank_work_share(const distributed::ProcessGroup& group) {
  data::WorkShare share;
  share.rank = group.rank();
  share.ranks = group.size();
  if (group.distributed()) {
    share.wait_for_all = [&group] { group.barrier(); };
    share.sum_over_ranks = [&group](std::vector<double>& values) {
      group.sum(values.data(), values.size());
    };
  }
  return share;
}

}  // namespace ihd::pipeline
