// The batching notice and the epoch summary; see epoch_lines.h.
#include "apps/training/epoch_lines.h"

#include "common/printf_string.h"

namespace ihd::training {

std::string format_training_batches(std::size_t images, int batch_size, std::size_t batches,
                                    std::size_t left_out) {
  const std::string batch_count =
      batches == 1 ? std::string("1 batch") : std::to_string(batches) + " batches";
  if (left_out == 0) {
    return printf_string("%zu training images in %s of %d per epoch", images, batch_count.c_str(),
                         batch_size);
  }
  const std::string images_left_out =
      left_out == 1 ? std::string("image of each shuffled epoch is")
                    : std::to_string(left_out) + " images of each shuffled epoch are";
  return printf_string(
      "%zu training images, %s of %d per epoch:\n  the last %s left out (whole batches only)",
      images, batch_count.c_str(), batch_size, images_left_out.c_str());
}

std::string format_epoch_summary(int epoch_count, const EpochRecord& train,
                                 const EpochRecord* validation) {
  const ThresholdMetrics& t = train.metrics.at_default_threshold;
  std::string text =
      printf_string("epoch %d/%d  train loss %.4f acc %.3f | %.0f img/s %.1f s", train.epoch,
                    epoch_count, train.loss, t.accuracy, train.images_per_second, train.seconds);
  if (validation != nullptr) {
    const ThresholdMetrics& v = validation->metrics.at_default_threshold;
    text +=
        printf_string("\n  val loss %.4f recall %.3f precision %.3f spec %.3f acc %.3f auc %.3f",
                      validation->loss, v.recall, v.precision, v.specificity, v.accuracy,
                      validation->metrics.roc_auc);
  }
  return text;
}

}  // namespace ihd::training
