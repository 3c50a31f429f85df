// Study completion by idle time: see study_queue.h.
#include "apps/serve/study_queue.h"

namespace ihd::serve {

StudyQueue::StudyQueue(Spool& spool, Clock::duration idle) : spool_(spool), idle_(idle) {}

void StudyQueue::instance_arriving(const std::string& study_uid) {
  std::lock_guard lock(mutex_);
  StudyState& study = studies_[study_uid];
  ++study.committing;
  ++study.generation;
  spool_.mark_unprocessed(study_uid);
}

void StudyQueue::instance_arrived(const std::string& study_uid) {
  {
    std::lock_guard lock(mutex_);
    StudyState& study = studies_[study_uid];
    --study.committing;
    ++study.generation;
    study.last_arrival = Clock::now();
  }
  changed_.notify_all();
}

void StudyQueue::restore(const std::string& study_uid) {
  {
    std::lock_guard lock(mutex_);
    StudyState& study = studies_[study_uid];
    ++study.generation;
    study.last_arrival = Clock::now();
  }
  changed_.notify_all();
}

std::optional<StudyQueue::Ticket> StudyQueue::take_complete(Clock::duration wait) {
  std::unique_lock lock(mutex_);
  const Clock::time_point give_up = Clock::now() + wait;
  while (true) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next_completion = give_up;
    for (auto& [uid, study] : studies_) {
      if (study.processing || study.committing > 0) continue;
      const Clock::time_point complete_at = study.last_arrival + idle_;
      if (complete_at <= now) {
        study.processing = true;
        return Ticket{uid, study.generation, study.last_arrival};
      }
      next_completion = std::min(next_completion, complete_at);
    }
    if (now >= give_up) return std::nullopt;
    changed_.wait_until(lock, next_completion);
  }
}

bool StudyQueue::finished(const Ticket& ticket) {
  std::lock_guard lock(mutex_);
  const auto found = studies_.find(ticket.study_uid);
  if (found == studies_.end()) return false;
  found->second.processing = false;
  if (found->second.generation != ticket.generation) return false;
  spool_.mark_processed(ticket.study_uid);
  studies_.erase(found);
  return true;
}

std::size_t StudyQueue::unfinished() const {
  std::lock_guard lock(mutex_);
  return studies_.size();
}

}  // namespace ihd::serve
