// The console lines of training that are not progress (common/progress.h draws that): how the
// training images fall into batches, said once at the start, and the summary of each epoch, at
// most 79 characters a line so that it fits an 80-column terminal: the training line, then the
// validation line beneath it.
#pragma once

#include <cstddef>
#include <string>

#include "apps/training/history.h"

namespace ihd::training {

// "192 training images in 12 batches of 16 per epoch", or, when the loader leaves images out
// (data::BatchLoaderOptions::min_last_batch), two lines: "186 training images, 11 batches of 16
// per epoch:" and "  the last 10 images of each shuffled epoch are left out (whole batches
// only)". Each line at most 79 characters with RSNA's counts; no newline at the end.
std::string format_training_batches(std::size_t images, int batch_size, std::size_t batches,
                                    std::size_t left_out);

// "epoch 3/10  train loss 0.4123 acc 0.812 | 312 img/s 64.1 s" and, with a validation record,
// a second line "  val loss 0.4567 recall 0.903 precision 0.771 spec 0.720 acc 0.812 auc 0.901"
// (no newline at the end).
std::string format_epoch_summary(int epoch_count, const EpochRecord& train,
                                 const EpochRecord* validation);

}  // namespace ihd::training
