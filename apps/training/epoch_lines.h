// Console output while training: a per-epoch progress bar (images/s, loss, ETA) redrawn in place
// on a terminal, which degrades to plain periodic lines (every 10% of the epoch or every 30 s,
// whichever comes first) when the output is a file or a pipe; and the one-line epoch summary.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "apps/training/history.h"

namespace ihd::training {

// Seconds on a monotonic clock; tests substitute their own.
using SecondsClock = std::function<double()>;
double steady_clock_seconds();

// True when standard output is a terminal (isatty).
bool stdout_is_terminal();

// "m:ss" below an hour, "h:mm:ss" above; "--:--" for a non-finite or negative value.
std::string format_duration(double seconds);

struct ProgressStyle {
  bool terminal = false;
  double line_every_seconds = 30;    // plain mode: at least this often
  double line_every_fraction = 0.1;  // plain mode: at each tenth of the epoch
  int bar_width = 30;                // terminal mode
};

class EpochProgress {
 public:
  // label is shown at the start of every line, e.g. "epoch 3/10".
  EpochProgress(std::ostream& out, std::string label, std::int64_t total_images,
                ProgressStyle style, SecondsClock clock = steady_clock_seconds);

  // images_done so far in this epoch and the running mean loss.
  void update(std::int64_t images_done, double mean_loss);

  // The last line (complete bar, or the 100% line) and a newline on a terminal.
  void finish(double mean_loss);

 private:
  // The line for images_done; a finished epoch shows its duration, an unfinished one its ETA.
  std::string status_line(std::int64_t images_done, double mean_loss, double now,
                          bool finished) const;

  std::ostream& out_;
  std::string label_;
  std::int64_t total_images_;
  ProgressStyle style_;
  SecondsClock clock_;
  double start_seconds_;
  double last_output_seconds_;
  int next_tenth_ = 1;
  std::int64_t images_done_ = 0;
  bool finished_ = false;
};

// "epoch 3/10  train loss 0.4123 acc 0.812 | val loss 0.4567 recall 0.903 precision 0.771
// acc 0.812 spec 0.720 auc 0.901 | 312 img/s 64.1 s" (one line). validation may be null.
std::string format_epoch_summary(int epoch_count, const EpochRecord& train,
                                 const EpochRecord* validation);

}  // namespace ihd::training
