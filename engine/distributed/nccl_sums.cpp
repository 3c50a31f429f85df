// NcclSums: the communicator's set-up over MPI, the ordered sums on their own stream, and the
// watchdog that aborts a communicator whose peers stopped answering.
#include "engine/distributed/nccl_sums.h"

#include <nccl.h>

#include <string>

#include "common/error.h"
#include "common/progress.h"
#include "engine/distributed/process_group.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace ihd::distributed {
namespace {

// Waits while a non-blocking communicator's last call is in progress; throws on its error.
void check_nccl(ncclComm_t comm, ncclResult_t result, const char* call,
                const ProcessGroup& group) {
  while (result == ncclInProgress && comm != nullptr) {
    ncclCommGetAsyncError(comm, &result);
  }
  if (result != ncclSuccess) {
    throw Error(group.message_prefix() + call + " failed: " + ncclGetErrorString(result) +
                (comm ? std::string(" (") + ncclGetLastError(comm) + ")" : std::string()));
  }
}

}  // namespace

struct NcclSums::State {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t inputs_ready = nullptr;  // on the compute stream: the bucket holds its gradients
  cudaEvent_t sums_done = nullptr;     // on the sums' stream: every started sum is complete
  bool pending = false;
};

NcclSums::NcclSums(const ProcessGroup& group, double timeout_seconds)
    : group_(group), timeout_seconds_(timeout_seconds), state_(std::make_unique<State>()) {
  kernels::cuda::make_selected_device_current();
  ncclUniqueId id{};
  if (group.is_root()) check_nccl(nullptr, ncclGetUniqueId(&id), "ncclGetUniqueId", group);
  group.broadcast(&id, sizeof id);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclComm_t comm = nullptr;
  const ncclResult_t result =
      ncclCommInitRankConfig(&comm, group.size(), id, group.rank(), &config);
  check_nccl(comm, result, "ncclCommInitRankConfig", group);
  state_->comm = comm;
  IHD_CUDA_CHECK(cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking));
  IHD_CUDA_CHECK(cudaEventCreateWithFlags(&state_->inputs_ready, cudaEventDisableTiming));
  IHD_CUDA_CHECK(cudaEventCreateWithFlags(&state_->sums_done, cudaEventDisableTiming));
}

NcclSums::~NcclSums() {
  if (state_->comm) ncclCommDestroy(state_->comm);
  if (state_->sums_done) cudaEventDestroy(state_->sums_done);
  if (state_->inputs_ready) cudaEventDestroy(state_->inputs_ready);
  if (state_->stream) cudaStreamDestroy(state_->stream);
}

void NcclSums::start(float* values, std::size_t count) {
  kernels::cuda::make_selected_device_current();
  IHD_CUDA_CHECK(cudaEventRecord(state_->inputs_ready, kernels::cuda::compute_stream()));
  IHD_CUDA_CHECK(cudaStreamWaitEvent(state_->stream, state_->inputs_ready, 0));
  check_nccl(state_->comm,
             ncclAllReduce(values, values, count, ncclFloat32, ncclSum, state_->comm,
                           state_->stream),
             "ncclAllReduce", group_);
  state_->pending = true;
}

double NcclSums::wait() {
  if (!state_->pending) return 0;
  const double start = steady_clock_seconds();
  IHD_CUDA_CHECK(cudaEventRecord(state_->sums_done, state_->stream));
  // The watchdog: the sums must complete within the timeout, or the communicator is aborted.
  for (;;) {
    const cudaError_t done = cudaEventQuery(state_->sums_done);
    if (done == cudaSuccess) break;
    if (done != cudaErrorNotReady) IHD_CUDA_CHECK(done);
    ncclResult_t async_error = ncclSuccess;
    ncclCommGetAsyncError(state_->comm, &async_error);
    const bool timed_out = steady_clock_seconds() - start > timeout_seconds_;
    if ((async_error != ncclSuccess && async_error != ncclInProgress) || timed_out) {
      ncclCommAbort(state_->comm);
      state_->comm = nullptr;
      throw Error(group_.message_prefix() + "gradient sums across ranks " +
                  (timed_out ? "did not complete within " + std::to_string(timeout_seconds_) +
                                   " s (another rank died or hangs)"
                             : std::string("failed: ") + ncclGetErrorString(async_error)) +
                  "; the NCCL communicator was aborted");
    }
  }
  IHD_CUDA_CHECK(cudaStreamWaitEvent(kernels::cuda::compute_stream(), state_->sums_done, 0));
  state_->pending = false;
  return steady_clock_seconds() - start;
}

}  // namespace ihd::distributed
