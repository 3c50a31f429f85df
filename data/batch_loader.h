// BatchLoader: feeds training with batches of float images, independent of the engine.
//
// Given a dataset, the indices of the records to use (e.g. dataset.indices_of(Split::train)) and
// options, each epoch visits the indices in a seeded order (shuffled unless shuffle is false);
// worker threads decode, resize to image_size, augment and convert batches ahead of the consumer
// (up to prefetch batches). A batch is plain memory: NHWC float32 in [0, 1] (pixel / 255) and
// n x label_count labels. Determinism: the order depends only on (seed, epoch) and each sample's
// augmentation only on (seed, epoch, position in the epoch), so any thread count gives identical
// batches, and begin_epoch(epoch, start_batch) resumes mid-epoch with the same data. The last
// batch of an epoch may be smaller; one smaller than min_last_batch is left out (a different
// handful of images each epoch, as the order changes).
//
// Augmentation (training only): horizontal flip, rotation up to max_rotation_deg, scale, shift,
// and a window jitter on the windowed intensities (contrast and brightness), bilinear sampling.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/image_dataset.h"

namespace ihd::data {

struct AugmentOptions {
  double flip_probability = 0.5;
  double max_rotation_deg = 10.0;
  double max_scale_change = 0.1;     // scale in [1 - x, 1 + x]
  double max_shift_fraction = 0.06;  // of the image size, each axis
  double max_contrast_change = 0.1;  // intensity (v - 0.5) * [1 - x, 1 + x] + 0.5
  double max_brightness_shift = 0.05;
};

struct BatchLoaderOptions {
  int batch_size = 32;
  int image_size = 0;  // 0: the dataset's size
  int channels = 0;    // 0: the dataset's; 3 from a 1-channel dataset replicates the grey channel
  std::uint64_t seed = 1;
  bool shuffle = true;
  bool augment = false;
  AugmentOptions augmentation;
  int threads = 2;
  int prefetch = 4;  // batches prepared ahead of the consumer
  // A last batch of fewer images than this is left out of the epoch (1: every image is used).
  // Training uses its batch size (whole batches only); evaluation 1.
  int min_last_batch = 1;
  // Data-parallel training: each batch of batch_size images (the global batch) is cut into
  // shard_count equal shares, and this loader yields share shard_index of each. The order, every
  // image's augmentation and the batch count stay those of the whole batch, so the shards of all
  // ranks together are exactly one process's batches. Needs whole batches only (min_last_batch =
  // batch_size) and batch_size divisible by shard_count.
  int shard_index = 0;
  int shard_count = 1;
};

struct Batch {
  int n = 0;
  int height = 0;
  int width = 0;
  int channels = 0;
  int label_count = 0;
  size_t batch_index = 0;     // within the epoch (of the global batches when sharded)
  std::vector<float> images;  // n x height x width x channels, NHWC, in [0, 1]
  std::vector<float> labels;  // n x label_count
  std::vector<std::string> ids;
  std::vector<size_t> indices;  // dataset record indices
};

class BatchLoader {
 public:
  // dataset must outlive the loader. Throws std::invalid_argument on impossible options.
  BatchLoader(const ImageDataset& dataset, std::vector<size_t> indices, BatchLoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts (or restarts) an epoch at batch start_batch; stops any epoch in progress.
  void begin_epoch(int epoch, size_t start_batch = 0);
  // Fills batch with the next batch of the epoch; false when the epoch is over. Rethrows a
  // worker's Error (e.g. a cache file vanished).
  bool next(Batch& batch);

  size_t batches_per_epoch() const;
  // The images those batches hold, and the ones left out of each epoch (min_last_batch).
  size_t images_per_epoch() const;
  size_t left_out_per_epoch() const { return indices_.size() - images_per_epoch(); }
  size_t sample_count() const { return indices_.size(); }
  int image_size() const { return height_; }
  int channels() const { return channels_; }
  int label_count() const { return dataset_.label_count(); }

 private:
  void stop_workers();
  void worker_loop();
  void fill_batch(size_t batch_index, Batch& batch) const;

  const ImageDataset& dataset_;
  std::vector<size_t> indices_;
  BatchLoaderOptions options_;
  int height_ = 0, width_ = 0, channels_ = 0;

  std::vector<size_t> order_;  // this epoch's order of indices_
  int epoch_ = 0;
  size_t end_batch_ = 0;
  size_t next_to_produce_ = 0;
  size_t next_to_consume_ = 0;
  bool stopping_ = false;
  std::map<size_t, Batch> ready_;
  std::exception_ptr failure_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> workers_;
};

}  // namespace ihd::data
