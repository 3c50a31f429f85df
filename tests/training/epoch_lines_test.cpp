// The training console's own lines: the batching notice said at the start (whole batches, the
// images each epoch leaves out) and the epoch summary, two lines of at most 79
// characters (an 80-column terminal).
#include "apps/training/epoch_lines.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace ihd::training {

TEST_CASE("the batching notice: whole batches, and the images each epoch leaves out") {
  CHECK(format_training_batches(192, 16, 12, 0) ==
        "192 training images in 12 batches of 16 per epoch");
  CHECK(format_training_batches(186, 16, 11, 10) ==
        "186 training images, 11 batches of 16 per epoch:\n"
        "  the last 10 images of each shuffled epoch are left out (whole batches only)");
  CHECK(format_training_batches(12, 11, 1, 1) ==
        "12 training images, 1 batch of 11 per epoch:\n"
        "  the last image of each shuffled epoch is left out (whole batches only)");
  // RSNA's counts still fit an 80-column terminal.
  for (const std::string& notice : {format_training_batches(674258, 32, 21071, 0),
                                    format_training_batches(674271, 32, 21070, 31)}) {
    std::istringstream lines(notice);
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      CHECK(line.size() <= 79);
    }
  }
}

TEST_CASE("the epoch summary: a training line and a validation line, each within 79 columns") {
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
        "epoch 3/10  train loss 0.4123 acc 0.812 | 312 img/s 64.1 s\n"
        "  val loss 0.4567 recall 0.903 precision 0.771 spec 0.720 acc 0.812 auc 0.901");
  CHECK(format_epoch_summary(10, train, nullptr) ==
        "epoch 3/10  train loss 0.4123 acc 0.812 | 312 img/s 64.1 s");

  // The widest numbers a long run prints still fit.
  train.epoch = 100;
  train.loss = 12.3456;
  train.images_per_second = 12345;
  train.seconds = 123456.7;
  validation.loss = 12.3456;
  std::istringstream lines(format_epoch_summary(100, train, &validation));
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    CAPTURE(line);
    CHECK(line.size() <= 79);
  }
  CHECK(count == 2);
}

}  // namespace ihd::training
