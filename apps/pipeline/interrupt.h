// Stopping a training run on SIGINT (Ctrl-C) or SIGTERM without losing it. ihd_train installs
// the handlers once; the training loops (trainer.cpp, sequence_trainer.cpp) open a
// GracefulStopSection around their epochs. Inside a section the first signal only asks to stop:
// the loop finishes its current step (the sequence stage: its epoch), writes the resume
// checkpoint and throws Interrupted, and ihd_train exits 128 + the signal (130 for SIGINT, 143
// for SIGTERM) with the command that resumes the run. A second signal ends the process at once
// with the same exit status; the run then resumes from its last checkpoint. A stop asked for in
// the run's very last step lets it finish (calibration and report included) and exit 0. Outside
// a section (data preparation, embedding, the final calibration) a signal ends the process as by
// default.
#pragma once

#include <stdexcept>
#include <string>

namespace ihd::pipeline {

// Installs the SIGINT and SIGTERM handlers. `after_second_signal` is what the process prints
// when a second signal ends it at once (e.g. how to resume the run).
void install_stop_signal_handlers(const std::string& after_second_signal);

// The signal that asked the run to stop (SIGINT or SIGTERM), or 0 while none has.
int stop_signal();

// While one is alive, the first SIGINT or SIGTERM asks to stop after the current `unit`
// ("step", "epoch"); the message that says so is printed at once, from the handler, and on a
// terminal on a cleared line (no progress frame, no echoed "^C" before it); from then on no
// progress line is drawn (hold_progress), so the notice and the final "stopped at" line follow
// one another.
class GracefulStopSection {
 public:
  explicit GracefulStopSection(const std::string& unit);
  ~GracefulStopSection();
  GracefulStopSection(const GracefulStopSection&) = delete;
  GracefulStopSection& operator=(const GracefulStopSection&) = delete;
};

// Thrown by a training loop that stopped on a signal, its resume checkpoint written. `where`
// says where it stopped ("epoch 2 step 17").
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& where);
  int signal() const { return signal_; }
  const std::string& where() const { return where_; }
  // 128 + the signal, as a shell reports a process the signal ended.
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
  std::string where_;
};

}  // namespace ihd::pipeline
