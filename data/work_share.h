// WorkShare: the part of a long data pass (the cache's shards, the PNGs of a conversion) that this
// process does when several processes share it (ihd_prepare under mpirun, one per rank), and the
// two things the data layer needs from the others: to wait for all of them, and to sum counts
// over them. The data layer knows nothing of MPI: the app makes a WorkShare of its rank
// (apps/pipeline/rank_share.h). A default WorkShare is a process alone, which does every item,
// waits for nobody and whose sums are its own counts.
//
// Items are shared strided: rank r of N does items r, r + N, r + 2N, ... of a list every rank
// builds alike, so the ranks' shares are as alike in cost as the list's neighbours are.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <vector>

#include "common/error.h"

namespace ihd::data {

struct WorkShare {
  int rank = 0;
  int ranks = 1;
  // Returns when every rank has called it (a barrier); unset: a process alone.
  std::function<void()> wait_for_all;
  // Sums the values in place over the ranks, every rank ending with the sums; unset: alone.
  std::function<void(std::vector<double>&)> sum_over_ranks;

  // Item `index` of a shared list is this rank's.
  bool owns(size_t index) const {
    return index % static_cast<size_t>(ranks) == static_cast<size_t>(rank);
  }
  // This rank's items of a shared list of `count`, in order.
  std::vector<size_t> owned(size_t count) const;
  // Rank 0: the one that writes what the job writes once (a manifest) and reports what every
  // rank would find alike (a file left out of the plan).
  bool is_first() const { return rank == 0; }
  void barrier() const;
  // Each count replaced by its sum over the ranks (exact below 2^53).
  void sum(std::initializer_list<size_t*> counts) const;
  void sum(std::map<ErrorKind, size_t>& count_by_kind) const;
};

}  // namespace ihd::data
