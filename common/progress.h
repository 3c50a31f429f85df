// Progress: the one progress display of every ihd tool (training and validation epochs, cache
// preparation, PNG export, synthetic sets, prediction, evaluation, embedding). A task has a label,
// a total and a unit; its line shows, in this order,
//
//   epoch 3/10 [######....]  45% 1234/2720 img 312 img/s loss 0.4123 ETA 0:05 run ETA 1:02:03
//   label       bar         done  counts       throughput loss       ETA      the run's ETA
//
// where the loss appears only when the caller reports one and the run's ETA only when the caller
// says how much of the run follows this task (set_run_remainder); a finished task shows its
// duration ("in 0:20") in place of its ETA.
//
// On a terminal the line is redrawn in place ('\r', then erase to the end of the line), at most
// ten times a second, never longer than the terminal is wide less one column (so it never wraps:
// TIOCGWINSZ at each redraw, else $COLUMNS, else 80). When the fields do not fit, they go in this
// order, first dropped first:
//   1. the bar narrows from 30 cells to 10, then goes;
//   2. the throughput;
//   3. the counts;
//   4. the run's ETA;
//   5. the loss;
//   6. the ETA;
// the label and the percentage always stay (the label is cut short when even they do not fit).
// Elsewhere (a file, a pipe) it writes plain lines with every field but the bar: one at each
// tenth of the task or after 30 s without one, whichever comes first (but none within a second of
// the last: a task of a second writes its last line only), and one when it finishes.
//
// It lives in common/ because the data layer's long loops (cache preparation, PNG export,
// synthetic sets) report through it and may include nothing above common/. A function that runs
// one task sized by its caller takes the caller's Progress; one whose tasks only it can size takes
// a ProgressOutput and makes its own. A ProgressOutput without a stream (the default, and every
// tool's --quiet) writes nothing. update(), add() and finish() may be called from several threads
// (OpenMP loops).
//
// Two process-wide facts reach every Progress: the work that follows the run in progress (the
// later runs of a sweep, set_work_after_run), which the run's ETA then includes; and a stop
// (hold_progress, from a signal handler), after which no Progress draws again, so that the stop
// notice, on a line the handler has cleared, stays the last thing on the terminal.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace ihd {

// Seconds on a monotonic clock; tests substitute their own.
using SecondsClock = std::function<double()>;
double steady_clock_seconds();

// "m:ss" below an hour, "h:mm:ss" above; "--:--" for a non-finite or negative value.
std::string format_duration(double seconds);

struct ProgressOutput {
  std::ostream* out = nullptr;       // nullptr: nothing is written (--quiet)
  bool terminal = false;             // redraw one line in place; false: plain periodic lines
  int columns = 0;                   // terminal width; 0: the terminal's own, asked at each redraw
  double line_every_seconds = 30;    // plain lines: at least this often
  double line_every_fraction = 0.1;  // plain lines: at each tenth of the task
  SecondsClock clock = steady_clock_seconds;
};

// Standard output as a tool's progress goes there (a terminal or not); quiet: nowhere.
ProgressOutput console_progress(bool quiet);

// What follows the run in progress in this process, for a run's ETA that covers more than one
// run (ihd_train --sweep): `seconds` of later runs estimated from runs already done, and
// `run_multiples` later runs as long as the run in progress, which started at
// `run_start_seconds` on the tasks' clock (its length: the time since then plus its own ETA).
struct WorkAfterRun {
  double run_start_seconds = 0;
  double run_multiples = 0;
  double seconds = 0;
};
// Every Progress that shows a run's ETA adds `work` to it from now on; {} adds nothing.
void set_work_after_run(const WorkAfterRun& work);

// From a signal handler (one lock-free atomic store): every Progress stops drawing for good, and
// one that has a terminal frame open leaves the line as the caller left it (the caller has erased
// the frame; see interrupt.cpp).
void hold_progress();

// One progress line as numbers, before it is laid out.
struct ProgressFields {
  std::string label;
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::string unit;
  double items_per_second = NAN;  // NaN: not known yet ("-- img/s")
  std::optional<double> mean_loss = std::nullopt;
  bool finished = false;
  double elapsed_seconds = 0;  // shown ("in 0:20") once finished
  double eta_seconds = 0;      // shown ("ETA 0:05") until then
  // The whole run's ETA, when the caller says what follows the task.
  std::optional<double> run_eta_seconds = std::nullopt;
  // Data-parallel training: the mean wait for other ranks per step ("comm 12 ms/step").
  std::optional<double> communication_seconds_per_step = std::nullopt;
};

// The line of `fields` within `width` characters, its fields dropped in the order above; width 0:
// no limit and no bar (the plain lines).
std::string progress_line(const ProgressFields& fields, int width);

class Progress {
 public:
  // unit names the items ("img", "files"); done_at_start items were done before this process
  // started on the task (a resumed epoch): they count as done but not in the throughput. On a
  // terminal the first frame is drawn at once, so that a long task shows what it is doing.
  Progress(ProgressOutput output, std::string label, std::int64_t total, std::string unit,
           std::int64_t done_at_start = 0);
  // A task left unfinished (an exception on the way) ends its terminal line, so that the message
  // that follows starts on a line of its own.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // done items so far; with the running mean loss of those items.
  void update(std::int64_t done);
  void update(std::int64_t done, double mean_loss);
  // count more items done (parallel loops).
  void add(std::int64_t count);
  // What of the run follows this task: `items` more at this task's throughput and `seconds`
  // measured elsewhere (validation passes); the line then shows the run's ETA.
  void set_run_remainder(std::int64_t items, double seconds);
  // The mean time per step spent waiting for other ranks (data-parallel training), shown from
  // now on.
  void set_communication(double seconds_per_step);
  // Erases the frame on a terminal, so that other output (a skipped file's line) can take the
  // line; the next update draws it again below that output.
  void erase();
  // The last line (the items actually done, the duration) and a newline. Later calls do nothing.
  void finish();
  void finish(double mean_loss);

 private:
  // Draws a frame or writes a plain line when one is due; mutex_ held.
  void report(double now);
  // The fields at `now`: throughput, ETA and the run's ETA from the clock.
  ProgressFields fields(double now, bool finished) const;
  void end(std::optional<double> mean_loss);

  ProgressOutput output_;
  std::string label_;
  std::int64_t total_;
  std::string unit_;
  std::int64_t done_at_start_;
  std::int64_t done_;
  std::optional<double> mean_loss_;
  std::optional<std::int64_t> run_items_after_;
  double run_seconds_after_ = 0;
  std::optional<double> communication_seconds_per_step_;
  double start_seconds_;
  double last_line_seconds_;   // plain lines
  double last_frame_seconds_;  // terminal frames
  int next_tenth_ = 1;
  bool frame_open_ = false;  // a terminal frame drawn and its line not yet ended
  bool finished_ = false;
  std::mutex mutex_;
};

}  // namespace ihd
