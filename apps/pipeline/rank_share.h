// What one rank of a job that mpirun started takes for itself, in the tools that share their work
// across ranks (ihd_prepare, ihd_embed): its output (stdout is rank 0's alone), its share of the
// machine's cores, its GPU, and its share of the data layer's long passes (data::WorkShare over
// the process group). In a group of one each is the process's own: stdout, the threads it would
// have had, the device named, all of the work.
#pragma once

#include <string>

#include "data/work_share.h"
#include "engine/device.h"
#include "engine/distributed/process_group.h"

namespace ihd::pipeline {

// Sends this rank's stdout to /dev/null unless it is rank 0 (its errors stay on stderr). Throws
// ihd::Error when it cannot.
void silence_all_but_root(const distributed::ProcessGroup& group);

// The threads this rank computes with: `requested` when above 0; else, when several ranks share
// this machine, its cores divided among them (at least 1); else 0, the default (every core).
int rank_threads(int requested, const distributed::ProcessGroup& group);

// The device `name` ("cpu", "cuda", "cuda:N") means for this rank: under a launcher, plain "cuda"
// is the GPU of its local rank, and "cuda:N" is refused when several ranks share the machine.
Device rank_device(const std::string& name, const distributed::ProcessGroup& group);

// This rank's share of the data layer's passes, waiting and summing through `group` (which must
// outlive it).
data::WorkShare rank_work_share(const distributed::ProcessGroup& group);

}  // namespace ihd::pipeline
