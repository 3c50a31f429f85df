// Progress bar and epoch summary; see progress.h. On a terminal the bar is redrawn with '\r' at
// most ten times a second; elsewhere each line stands alone so logs stay readable.
#include "apps/training/progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace ihd::training {
namespace {

constexpr double kTerminalRedrawSeconds = 0.1;

std::string printf_string(const char* format, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, format, values...);
  return buffer;
}

}  // namespace

double steady_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
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

EpochProgress::EpochProgress(std::ostream& out, std::string label, std::int64_t total_images,
                             ProgressStyle style, SecondsClock clock)
    : out_(out),
      label_(std::move(label)),
      total_images_(total_images),
      style_(style),
      clock_(std::move(clock)),
      start_seconds_(clock_()),
      last_output_seconds_(start_seconds_) {}

std::string EpochProgress::status_line(std::int64_t images_done, double mean_loss, double now,
                                       bool finished) const {
  const double elapsed = now - start_seconds_;
  const double fraction =
      total_images_ > 0 ? static_cast<double>(images_done) / static_cast<double>(total_images_) : 1;
  const double rate = elapsed > 0 ? static_cast<double>(images_done) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total_images_ - images_done) / rate : NAN;
  std::string line = label_ + " ";
  if (style_.terminal) {
    const int filled = static_cast<int>(std::lround(fraction * style_.bar_width));
    line += '[';
    line.append(static_cast<std::size_t>(filled), '#');
    line.append(static_cast<std::size_t>(style_.bar_width - filled), '.');
    line += "] ";
  }
  line += printf_string("%3.0f%% %lld/%lld img %.1f img/s loss %.4f", 100 * fraction,
                        static_cast<long long>(images_done), static_cast<long long>(total_images_),
                        rate, mean_loss);
  line += finished ? " in " : " ETA ";
  line += format_duration(finished ? elapsed : eta);
  return line;
}

void EpochProgress::update(std::int64_t images_done, double mean_loss) {
  images_done_ = images_done;
  const double now = clock_();
  if (style_.terminal) {
    if (now - last_output_seconds_ < kTerminalRedrawSeconds) return;
    out_ << '\r' << status_line(images_done, mean_loss, now, images_done >= total_images_)
         << "\x1b[K" << std::flush;
    last_output_seconds_ = now;
    return;
  }
  const double fraction =
      total_images_ > 0 ? static_cast<double>(images_done) / static_cast<double>(total_images_) : 1;
  bool crossed_tenth = false;
  while (next_tenth_ * style_.line_every_fraction <= fraction + 1e-12) {
    crossed_tenth = true;
    ++next_tenth_;
  }
  if (images_done >= total_images_) return;  // finish() prints the 100% line
  if (crossed_tenth || now - last_output_seconds_ >= style_.line_every_seconds) {
    out_ << status_line(images_done, mean_loss, now, images_done >= total_images_) << '\n'
         << std::flush;
    last_output_seconds_ = now;
  }
}

void EpochProgress::finish(double mean_loss) {
  if (finished_) return;
  finished_ = true;
  const double now = clock_();
  if (style_.terminal) out_ << '\r';
  out_ << status_line(images_done_, mean_loss, now, true);
  if (style_.terminal) out_ << "\x1b[K";
  out_ << '\n' << std::flush;
}

std::string format_epoch_summary(int epoch_count, const EpochRecord& train,
                                 const EpochRecord* validation) {
  const ThresholdMetrics& t = train.metrics.at_default_threshold;
  std::string line = printf_string("epoch %d/%d  train loss %.4f acc %.3f", train.epoch,
                                   epoch_count, train.loss, t.accuracy);
  if (validation != nullptr) {
    const ThresholdMetrics& v = validation->metrics.at_default_threshold;
    line += printf_string(" | val loss %.4f recall %.3f precision %.3f acc %.3f spec %.3f auc %.3f",
                          validation->loss, v.recall, v.precision, v.accuracy, v.specificity,
                          validation->metrics.roc_auc);
  }
  line += printf_string(" | %.0f img/s %.1f s", train.images_per_second, train.seconds);
  return line;
}

}  // namespace ihd::training
