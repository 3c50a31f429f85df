// ProcessGroup over MPI when the build has it (IHD_WITH_MPI) and a launcher started this process;
// a group of one otherwise. Large transfers go in pieces below INT_MAX elements (MPI's counts are
// int).
#include "engine/distributed/process_group.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/progress.h"

#if IHD_WITH_MPI
#include <mpi.h>
#endif

namespace ihd::distributed {
namespace {

// The job's size as the launchers' variables tell it: OpenMPI's mpirun, srun, MPICH's mpiexec
// (PMI); 1 when none says.
[[maybe_unused]] int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  }
  return 1;
}

// OpenMPI's mpirun, PMIx (srun --mpi=pmix) and PMI launchers each give a rank its number.
bool started_by_launcher() {
  return std::getenv("OMPI_COMM_WORLD_RANK") || std::getenv("PMIX_RANK") ||
         std::getenv("PMI_RANK");
}

#if IHD_WITH_MPI
void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(what) + " failed: " + std::string(text, static_cast<size_t>(length)));
}

// Calls f(offset, count) for pieces of at most INT_MAX elements (once, with 0, for none).
template <typename F>
void in_pieces(std::size_t total, F f) {
  std::size_t offset = 0;
  do {
    const std::size_t count = std::min<std::size_t>(total - offset, INT_MAX);
    f(offset, static_cast<int>(count));
    offset += count;
  } while (offset < total);
}
#endif

// MPI's datatype of each element type the group sends.
#if IHD_WITH_MPI
MPI_Datatype mpi_type(const float*) { return MPI_FLOAT; }
MPI_Datatype mpi_type(const double*) { return MPI_DOUBLE; }
MPI_Datatype mpi_type(const std::uint64_t*) { return MPI_UINT64_T; }
#endif

// Sums `count` values in place over MPI's world.
template <typename T>
void sum_in_place([[maybe_unused]] T* values, [[maybe_unused]] std::size_t count) {
#if IHD_WITH_MPI
  in_pieces(count, [&](std::size_t offset, int n) {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + offset, n, mpi_type(values), MPI_SUM,
                            MPI_COMM_WORLD),
              "MPI_Allreduce");
  });
#endif
}

// Every rank's `count` values, rank 0's first (this rank's alone when not distributed).
template <typename T>
std::vector<T> gathered(const T* values, std::size_t count, int ranks, bool distributed) {
  std::vector<T> all(count * static_cast<std::size_t>(ranks));
  if (!distributed) {
    std::copy(values, values + count, all.begin());
    return all;
  }
#if IHD_WITH_MPI
  IHD_CHECK(count <= INT_MAX, "all_gather of ", count, " values: too many for one call");
  check_mpi(MPI_Allgather(values, static_cast<int>(count), mpi_type(values), all.data(),
                          static_cast<int>(count), mpi_type(values), MPI_COMM_WORLD),
            "MPI_Allgather");
#endif
  return all;
}

// Every rank's `values` (any length per rank), rank 0's first: on every rank (MPI_Allgatherv)
// when `on_every_rank`, else on rank 0 alone (MPI_Gatherv; the others get none). This rank's
// alone when not distributed.
template <typename T>
std::vector<T> gathered_varying(const std::vector<T>& values, [[maybe_unused]] int ranks,
                                [[maybe_unused]] int rank, bool distributed,
                                [[maybe_unused]] bool on_every_rank) {
  if (!distributed) return values;
  std::vector<T> all;
#if IHD_WITH_MPI
  IHD_CHECK(values.size() <= INT_MAX, "gather of ", values.size(), " values: too many");
  const int mine = static_cast<int>(values.size());
  const bool receives = on_every_rank || rank == 0;
  std::vector<int> counts(static_cast<std::size_t>(ranks));
  if (on_every_rank) {
    check_mpi(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
              "MPI_Allgather");
  } else {
    check_mpi(MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD),
              "MPI_Gather");
  }
  std::vector<int> offsets(counts.size());
  long long total = 0;
  for (std::size_t r = 0; receives && r < counts.size(); ++r) {
    IHD_CHECK(total + counts[r] <= INT_MAX, "gather of more than INT_MAX values");
    offsets[r] = static_cast<int>(total);
    total += counts[r];
  }
  all.resize(static_cast<std::size_t>(total));
  if (on_every_rank) {
    check_mpi(MPI_Allgatherv(values.data(), mine, mpi_type(values.data()), all.data(),
                             counts.data(), offsets.data(), mpi_type(values.data()),
                             MPI_COMM_WORLD),
              "MPI_Allgatherv");
  } else {
    check_mpi(MPI_Gatherv(values.data(), mine, mpi_type(values.data()), all.data(), counts.data(),
                          offsets.data(), mpi_type(values.data()), 0, MPI_COMM_WORLD),
              "MPI_Gatherv");
  }
#endif
  return all;
}

}  // namespace

bool mpi_compiled() {
  return IHD_WITH_MPI != 0;
}

ProcessGroup& ProcessGroup::world() {
  static ProcessGroup group;
  return group;
}

ProcessGroup::ProcessGroup() {
  if (!started_by_launcher()) return;
#if IHD_WITH_MPI
  int provided = 0;
  check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  uses_mpi_ = true;
  // Errors come back as codes (and become ihd::Error) instead of ending the job without a word.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm machine;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL,
                                &machine),
            "MPI_Comm_split_type");
  MPI_Comm_rank(machine, &local_rank_);
  MPI_Comm_size(machine, &local_size_);
  MPI_Comm_free(&machine);
#else
  IHD_CHECK_INPUT(launcher_size() <= 1, "this ihd was built without MPI, so it cannot run as one "
                  "of ", launcher_size(), " ranks: rebuild with libopenmpi-dev installed "
                  "(-DIHD_MPI=ON), or run it without mpirun");
#endif
}

ProcessGroup::~ProcessGroup() {
#if IHD_WITH_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (uses_mpi_ && !finalized) MPI_Finalize();
#endif
}

std::string ProcessGroup::message_prefix() const {
  if (!distributed()) return "";
  return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": ";
}

void ProcessGroup::broadcast(void* data, std::size_t bytes) const {
  if (!uses_mpi_) return;
#if IHD_WITH_MPI
  in_pieces(bytes, [&](std::size_t offset, int count) {
    check_mpi(MPI_Bcast(static_cast<char*>(data) + offset, count, MPI_BYTE, 0, MPI_COMM_WORLD),
              "MPI_Bcast");
  });
#endif
}

void ProcessGroup::broadcast(std::string& text) const {
  if (!uses_mpi_) return;
  std::uint64_t length = text.size();
  broadcast(&length, sizeof length);
  text.resize(length);
  broadcast(text.data(), length);
}

void ProcessGroup::sum(float* values, std::size_t count) const {
  if (uses_mpi_) sum_in_place(values, count);
}

void ProcessGroup::sum(double* values, std::size_t count) const {
  if (uses_mpi_) sum_in_place(values, count);
}

std::vector<float> ProcessGroup::all_gather(const float* values, std::size_t count) const {
  return gathered(values, count, size_, distributed());
}

std::vector<double> ProcessGroup::all_gather(const double* values, std::size_t count) const {
  return gathered(values, count, size_, distributed());
}

std::vector<double> ProcessGroup::all_gather_varying(const std::vector<double>& values) const {
  return gathered_varying(values, size_, rank_, distributed(), true);
}

std::vector<float> ProcessGroup::gather_varying(const std::vector<float>& values) const {
  return gathered_varying(values, size_, rank_, distributed(), false);
}

std::vector<std::uint64_t> ProcessGroup::all_gather(std::uint64_t value) const {
  return gathered(&value, 1, size_, distributed());
}

void ProcessGroup::barrier() const {
  if (!uses_mpi_) return;
#if IHD_WITH_MPI
  check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

void ProcessGroup::abort(int exit_code, const std::string& message) const {
  std::fprintf(stderr, "%s%s\n", message_prefix().c_str(), message.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
#if IHD_WITH_MPI
  if (uses_mpi_) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
  std::_Exit(exit_code);
}

#if IHD_WITH_MPI
struct PendingSums::Requests {
  std::vector<MPI_Request> requests;
};
#else
struct PendingSums::Requests {};
#endif

PendingSums::PendingSums(const ProcessGroup& group)
    : group_(group), requests_(std::make_unique<Requests>()) {}

PendingSums::~PendingSums() {
#if IHD_WITH_MPI
  // A sum still in flight (an exception unwound past wait()) must end before its memory goes.
  if (!requests_->requests.empty()) {
    MPI_Waitall(static_cast<int>(requests_->requests.size()), requests_->requests.data(),
                MPI_STATUSES_IGNORE);
  }
#endif
}

void PendingSums::start(float* values, std::size_t count) {
  if (!group_.launched()) return;
#if IHD_WITH_MPI
  in_pieces(count, [&](std::size_t offset, int n) {
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, values + offset, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                             &request),
              "MPI_Iallreduce");
    requests_->requests.push_back(request);
  });
#else
  (void)values;
  (void)count;
#endif
}

void PendingSums::progress() {
#if IHD_WITH_MPI
  if (requests_->requests.empty()) return;
  int all_done = 0;
  check_mpi(MPI_Testall(static_cast<int>(requests_->requests.size()), requests_->requests.data(),
                        &all_done, MPI_STATUSES_IGNORE),
            "MPI_Testall");
#endif
}

double PendingSums::wait() {
  const double start = steady_clock_seconds();
#if IHD_WITH_MPI
  if (!requests_->requests.empty()) {
    const int code = MPI_Waitall(static_cast<int>(requests_->requests.size()),
                                 requests_->requests.data(), MPI_STATUSES_IGNORE);
    requests_->requests.clear();
    check_mpi(code, "MPI_Waitall");
  }
#endif
  return steady_clock_seconds() - start;
}

}  // namespace ihd::distributed
