// Progress output: plain mode prints one line per tenth of the epoch, or after 30 s without one,
// with rate and ETA from a fake clock; terminal mode redraws one line; the epoch summary.
#include "apps/training/progress.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace ihd::training {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("plain progress prints at each tenth, with rate, loss and ETA") {
  double now = 100;
  std::ostringstream out;
  EpochProgress progress(out, "epoch 1/3", 1000, ProgressStyle{}, [&] { return now; });
  for (int done = 50; done <= 1000; done += 50) {  // 50 images per second
    now += 1;
    progress.update(done, 0.5);
  }
  progress.finish(0.25);
  const std::vector<std::string> lines = lines_of(out.str());
  REQUIRE(lines.size() == 10);  // 10%..90% and the final line
  CHECK(lines[0] == "epoch 1/3  10% 100/1000 img 50.0 img/s loss 0.5000 ETA 0:18");
  CHECK(lines[8] == "epoch 1/3  90% 900/1000 img 50.0 img/s loss 0.5000 ETA 0:02");
  CHECK(lines[9] == "epoch 1/3 100% 1000/1000 img 50.0 img/s loss 0.2500 in 0:20");
}

TEST_CASE("plain progress also prints after 30 s without a line") {
  double now = 0;
  std::ostringstream out;
  EpochProgress progress(out, "epoch 2/3", 100000, ProgressStyle{}, [&] { return now; });
  for (int step = 1; step <= 70; ++step) {  // 10 images per second: 700 images, under a tenth
    now += 1;
    progress.update(step * 10, 0.7);
  }
  const std::vector<std::string> lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);  // at 30 s and at 60 s
  CHECK(lines[0] == "epoch 2/3   0% 300/100000 img 10.0 img/s loss 0.7000 ETA 2:46:10");
  CHECK(lines[1].rfind("epoch 2/3   1% 600/100000", 0) == 0);
}

TEST_CASE("terminal progress redraws one line and ends it with the images actually done") {
  double now = 0;
  std::ostringstream out;
  ProgressStyle style;
  style.terminal = true;
  style.bar_width = 10;
  EpochProgress progress(out, "epoch 1/1", 100, style, [&] { return now; });
  now = 1;
  progress.update(50, 0.3);
  progress.finish(0.2);
  const std::string text = out.str();
  CHECK(text.find("\repoch 1/1 [#####.....]  50% 50/100 img 50.0 img/s loss 0.3000 ETA 0:01") !=
        std::string::npos);
  // An epoch cut short (--max-steps) ends showing what was done, not 100%.
  const std::string final_line = text.substr(text.rfind('\r') + 1);
  CHECK(final_line.rfind("epoch 1/1 [#####.....]  50% 50/100 img", 0) == 0);
  CHECK(final_line.find("loss 0.2000 in 0:01") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(lines_of(text).size() == 1);
}

TEST_CASE("durations and the epoch summary") {
  CHECK(format_duration(59.6) == "1:00");
  CHECK(format_duration(3725) == "1:02:05");
  CHECK(format_duration(-1) == "--:--");

  EpochRecord train;
  train.epoch = 3;
  train.loss = 0.41234;
  train.metrics.at_default_threshold.accuracy = 0.8123;
  train.images_per_second = 312.4;
  train.seconds = 64.12;
  EpochRecord validation;
  validation.loss = 0.4567;
  validation.metrics.at_default_threshold.recall = 0.9031;
  validation.metrics.at_default_threshold.precision = 0.771;
  validation.metrics.at_default_threshold.accuracy = 0.812;
  validation.metrics.at_default_threshold.specificity = 0.72;
  validation.metrics.roc_auc = 0.901;
  CHECK(format_epoch_summary(10, train, &validation) ==
        "epoch 3/10  train loss 0.4123 acc 0.812 | val loss 0.4567 recall 0.903 precision 0.771 "
        "acc 0.812 spec 0.720 auc 0.901 | 312 img/s 64.1 s");
  CHECK(format_epoch_summary(10, train, nullptr) ==
        "epoch 3/10  train loss 0.4123 acc 0.812 | 312 img/s 64.1 s");
}

}  // namespace ihd::training
