// Study completion. A study is complete when no instance of it has arrived for the idle time
// (--study-idle-seconds) and none is being committed; the node then computes its results. An
// instance that arrives while (or after) its study is being processed makes the study complete
// again later, so results always end up covering every instance acknowledged.
//
// The spool's ".processed" marker (spool.h) follows the same rule, under the same lock: it is
// removed before an instance of the study is committed (a crash in between only costs a repeated
// computation) and written only when the results cover every instance committed so far. After a
// restart, the studies without it are put back here (restore).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "apps/serve/spool.h"

namespace ihd::serve {

class StudyQueue {
 public:
  using Clock = std::chrono::steady_clock;

  struct Ticket {
    std::string study_uid;
    std::uint64_t generation = 0;    // the study's arrivals counted when it was taken
    Clock::time_point last_arrival;  // when its last instance was committed
  };

  StudyQueue(Spool& spool, Clock::duration idle);

  // Around the commit of one instance of `study_uid` into the spool.
  void instance_arriving(const std::string& study_uid);
  void instance_arrived(const std::string& study_uid);
  // A study found unfinished in the spool at start: complete after the idle time from now.
  void restore(const std::string& study_uid);

  // A complete study not being processed, taken for processing; waits up to `wait` for one.
  std::optional<Ticket> take_complete(Clock::duration wait);
  // The results of `ticket` are written. Marks the study processed and forgets it, unless an
  // instance arrived since it was taken (then it completes again). Returns whether it did.
  bool finished(const Ticket& ticket);
  // The studies known and not yet finished.
  std::size_t unfinished() const;

 private:
  struct StudyState {
    std::uint64_t generation = 0;
    int committing = 0;
    bool processing = false;
    Clock::time_point last_arrival;
  };

  Spool& spool_;
  const Clock::duration idle_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, StudyState> studies_;
};

}  // namespace ihd::serve
