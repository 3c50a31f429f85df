// Progress lines; see progress.h. A line is a list of fields in display order, each with its rank
// in the dropping order; fitting it into a width narrows the bar, then drops fields by rank.
#include "common/progress.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

#include "common/console.h"
#include "common/printf_string.h"

namespace ihd {
namespace {

constexpr double kTerminalRedrawSeconds = 0.1;
constexpr double kPlainLineGapSeconds = 1;  // the least time between two plain lines
constexpr int kWidestBar = 30;
constexpr int kNarrowestBar = 10;

static_assert(std::atomic<bool>::is_always_lock_free);
std::atomic<bool> progress_held{false};

std::mutex work_after_run_mutex;
WorkAfterRun work_after_run;

// The bar of `cells` cells for a fraction in [0, 1].
std::string bar_text(double fraction, int cells) {
  const int filled = std::clamp(static_cast<int>(std::lround(fraction * cells)), 0, cells);
  std::string text(static_cast<std::size_t>(cells) + 2, '.');
  text.front() = '[';
  text.back() = ']';
  std::fill_n(text.begin() + 1, filled, '#');
  return text;
}

// One field of a line and its place in the dropping order (0: never dropped).
struct Field {
  std::string text;
  int drop_rank = 0;
};
constexpr int kBarRank = 1;
constexpr int kCommunicationRank = 2;
constexpr int kRateRank = 3;
constexpr int kCountsRank = 4;
constexpr int kRunEtaRank = 5;
constexpr int kLossRank = 6;
constexpr int kEtaRank = 7;

std::size_t joined_length(const std::vector<Field>& fields) {
  std::size_t length = 0;
  for (const Field& field : fields) length += field.text.size() + (length > 0 ? 1 : 0);
  return length;
}

std::string joined(const std::vector<Field>& fields) {
  std::string text;
  for (const Field& field : fields) text += (text.empty() ? "" : " ") + field.text;
  return text;
}

// Narrows the bar, then drops fields in rank order, then cuts the label (fields[0]) until the
// line fits `width`.
std::string fitted(std::vector<Field> fields, std::size_t width, double fraction) {
  const auto bar = std::find_if(fields.begin(), fields.end(),
                                [](const Field& field) { return field.drop_rank == kBarRank; });
  if (bar != fields.end() && joined_length(fields) > width) {
    const std::size_t excess = joined_length(fields) - width;
    const int cells = kWidestBar - static_cast<int>(std::min<std::size_t>(excess, kWidestBar));
    bar->text = bar_text(fraction, std::max(cells, kNarrowestBar));
  }
  for (int rank = kBarRank; rank <= kEtaRank && joined_length(fields) > width; ++rank) {
    std::erase_if(fields, [rank](const Field& field) { return field.drop_rank == rank; });
  }
  const std::size_t length = joined_length(fields);
  if (length > width) {
    const std::size_t excess = length - width;
    std::string& label = fields.front().text;
    label.resize(label.size() > excess ? label.size() - excess : 0);
  }
  std::string text = joined(fields);
  if (text.size() > width) text.resize(width);
  return text;
}

}  // namespace

double steady_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long hours = total / 3600;
  const long long minutes = total / 60 % 60;
  const long long secs = total % 60;
  if (hours > 0) return printf_string("%lld:%02lld:%02lld", hours, minutes, secs);
  return printf_string("%lld:%02lld", minutes, secs);
}

void set_work_after_run(const WorkAfterRun& work) {
  std::lock_guard lock(work_after_run_mutex);
  work_after_run = work;
}

void hold_progress() {
  progress_held.store(true);
}

ProgressOutput console_progress(bool quiet) {
  ProgressOutput output;
  if (quiet) return output;
  output.out = &std::cout;
  output.terminal = stdout_is_terminal();
  return output;
}

Progress::Progress(ProgressOutput output, std::string label, std::int64_t total, std::string unit,
                   std::int64_t done_at_start)
    : output_(std::move(output)),
      label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      done_at_start_(done_at_start),
      done_(done_at_start),
      start_seconds_(output_.clock()),
      last_line_seconds_(start_seconds_),
      last_frame_seconds_(-std::numeric_limits<double>::infinity()) {
  if (output_.out == nullptr || !output_.terminal) return;
  std::lock_guard lock(mutex_);
  report(start_seconds_);
}

Progress::~Progress() {
  if (!frame_open_ || progress_held.load()) return;
  try {
    *output_.out << '\n' << std::flush;
  } catch (...) {
    // A failing console cannot be reported on the console.
  }
}

void Progress::update(std::int64_t done) {
  if (output_.out == nullptr) return;
  std::lock_guard lock(mutex_);
  done_ = done;
  report(output_.clock());
}

void Progress::update(std::int64_t done, double mean_loss) {
  if (output_.out == nullptr) return;
  std::lock_guard lock(mutex_);
  done_ = done;
  mean_loss_ = mean_loss;
  report(output_.clock());
}

void Progress::add(std::int64_t count) {
  if (output_.out == nullptr) return;
  std::lock_guard lock(mutex_);
  done_ += count;
  report(output_.clock());
}

void Progress::set_communication(double seconds_per_step) {
  std::lock_guard lock(mutex_);
  communication_seconds_per_step_ = seconds_per_step;
}

void Progress::set_run_remainder(std::int64_t items, double seconds) {
  std::lock_guard lock(mutex_);
  run_items_after_ = items;
  run_seconds_after_ = seconds;
}

void Progress::erase() {
  if (output_.out == nullptr) return;
  std::lock_guard lock(mutex_);
  if (!frame_open_ || progress_held.load()) return;
  *output_.out << "\r\x1b[K" << std::flush;
  frame_open_ = false;
  last_frame_seconds_ = -std::numeric_limits<double>::infinity();
}

void Progress::finish() {
  end(std::nullopt);
}

void Progress::finish(double mean_loss) {
  end(mean_loss);
}

void Progress::end(std::optional<double> mean_loss) {
  if (output_.out == nullptr) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (progress_held.load()) return;
  if (mean_loss) mean_loss_ = mean_loss;
  const double now = output_.clock();
  std::ostream& out = *output_.out;
  if (output_.terminal) {
    const int columns = output_.columns > 0 ? output_.columns : terminal_columns();
    out << '\r' << progress_line(fields(now, true), std::max(columns - 1, 1)) << "\x1b[K\n"
        << std::flush;
  } else {
    out << progress_line(fields(now, true), 0) << '\n' << std::flush;
  }
  frame_open_ = false;
}

void Progress::report(double now) {
  if (finished_ || progress_held.load()) return;
  std::ostream& out = *output_.out;
  if (output_.terminal) {
    if (now - last_frame_seconds_ < kTerminalRedrawSeconds) return;
    const int columns = output_.columns > 0 ? output_.columns : terminal_columns();
    out << '\r' << progress_line(fields(now, false), std::max(columns - 1, 1)) << "\x1b[K"
        << std::flush;
    last_frame_seconds_ = now;
    frame_open_ = true;
    // Held while this frame was written: the frame may have landed below the stop notice.
    if (progress_held.load()) out << "\r\x1b[K" << std::flush;
    return;
  }
  const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1;
  bool crossed_tenth = false;
  while (next_tenth_ * output_.line_every_fraction <= fraction + 1e-12) {
    crossed_tenth = true;
    ++next_tenth_;
  }
  if (done_ >= total_) return;  // finish() writes the last line
  const double since_last_line = now - last_line_seconds_;
  if ((crossed_tenth && since_last_line >= kPlainLineGapSeconds) ||
      since_last_line >= output_.line_every_seconds) {
    out << progress_line(fields(now, false), 0) << '\n' << std::flush;
    last_line_seconds_ = now;
  }
}

ProgressFields Progress::fields(double now, bool finished) const {
  ProgressFields fields{.label = label_, .done = done_, .total = total_, .unit = unit_};
  fields.elapsed_seconds = now - start_seconds_;
  // Unknown (NaN) until this process has done an item.
  fields.items_per_second =
      fields.elapsed_seconds > 0 && done_ > done_at_start_
          ? static_cast<double>(done_ - done_at_start_) / fields.elapsed_seconds
          : NAN;
  const double seconds_per_item = fields.items_per_second > 0 ? 1 / fields.items_per_second : NAN;
  fields.mean_loss = mean_loss_;
  fields.communication_seconds_per_step = communication_seconds_per_step_;
  fields.finished = finished;
  fields.eta_seconds =
      finished ? 0
               : static_cast<double>(std::max<std::int64_t>(total_ - done_, 0)) * seconds_per_item;
  if (run_items_after_) {
    fields.run_eta_seconds =
        fields.eta_seconds +
        static_cast<double>(*run_items_after_) * (*run_items_after_ > 0 ? seconds_per_item : 0) +
        run_seconds_after_;
    std::lock_guard lock(work_after_run_mutex);
    const double run_seconds = now - work_after_run.run_start_seconds + *fields.run_eta_seconds;
    *fields.run_eta_seconds += work_after_run.seconds + work_after_run.run_multiples * run_seconds;
  }
  return fields;
}

std::string progress_line(const ProgressFields& fields, int width) {
  const double fraction =
      fields.total > 0
          ? std::clamp(static_cast<double>(fields.done) / static_cast<double>(fields.total), 0.0,
                       1.0)
          : 1.0;
  const char* unit = fields.unit.c_str();
  std::vector<Field> line;
  line.push_back({fields.label, 0});
  if (width > 0) line.push_back({bar_text(fraction, kWidestBar), kBarRank});
  // Rounded down: an unfinished task never shows 100%.
  line.push_back({printf_string("%3.0f%%", std::floor(100 * fraction)), 0});
  line.push_back({printf_string("%lld/%lld %s", static_cast<long long>(fields.done),
                                static_cast<long long>(fields.total), unit),
                  kCountsRank});
  line.push_back({!std::isfinite(fields.items_per_second)
                      ? printf_string("-- %s/s", unit)
                      : printf_string(fields.items_per_second < 100 ? "%.1f %s/s" : "%.0f %s/s",
                                      fields.items_per_second, unit),
                  kRateRank});
  if (fields.mean_loss) line.push_back({printf_string("loss %.4f", *fields.mean_loss), kLossRank});
  if (fields.communication_seconds_per_step) {
    line.push_back({printf_string("comm %.0f ms/step", 1000 * *fields.communication_seconds_per_step),
                    kCommunicationRank});
  }
  line.push_back({fields.finished ? "in " + format_duration(fields.elapsed_seconds)
                                  : "ETA " + format_duration(fields.eta_seconds),
                  kEtaRank});
  if (fields.run_eta_seconds) {
    line.push_back({"run ETA " + format_duration(*fields.run_eta_seconds), kRunEtaRank});
  }
  if (width <= 0) return joined(line);
  return fitted(std::move(line), static_cast<std::size_t>(width), fraction);
}

}  // namespace ihd
