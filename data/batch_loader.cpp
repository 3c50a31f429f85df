// The loader's thread pool (one epoch at a time, batches claimed in order, handed over in order)
// and the per-sample work: read, resize, augment, convert to float.
#include "data/batch_loader.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "common/random.h"
#include "data/resize.h"

namespace ihd::data {
namespace {

// Bilinear sample of channel c at (x, y) in pixel-centre coordinates, 0 outside the image.
inline float sample_bilinear(const std::uint8_t* image, int height, int width, int channels, int c,
                             float x, float y) {
  const float fx = std::floor(x), fy = std::floor(y);
  const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
  const float ax = x - fx, ay = y - fy;
  const auto at = [&](int xx, int yy) -> float {
    if (xx < 0 || yy < 0 || xx >= width || yy >= height) return 0.0f;
    return image[(static_cast<size_t>(yy) * width + xx) * channels + c];
  };
  return (at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax) * (1 - ay) +
         (at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax) * ay;
}

// Writes the augmented image (height x width x channels) as floats in [0, 1].
void augment_into(const std::uint8_t* image, int height, int width, int channels,
                  const AugmentOptions& options, Random& random, float* out) {
  const bool flip = random.chance(options.flip_probability);
  const double angle = random.uniform(-1, 1) * options.max_rotation_deg * std::numbers::pi / 180;
  const double scale = 1 + random.uniform(-1, 1) * options.max_scale_change;
  const double shift_x = random.uniform(-1, 1) * options.max_shift_fraction * width;
  const double shift_y = random.uniform(-1, 1) * options.max_shift_fraction * height;
  const float contrast =
      static_cast<float>(1 + random.uniform(-1, 1) * options.max_contrast_change);
  const float brightness = static_cast<float>(random.uniform(-1, 1) * options.max_brightness_shift);
  // Output pixel (x, y) reads the source at centre + R(-angle) (p - centre - shift) / scale.
  const double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
  const float cos_a = static_cast<float>(std::cos(angle) / scale);
  const float sin_a = static_cast<float>(std::sin(angle) / scale);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float px = static_cast<float>((flip ? width - 1 - x : x) - cx - shift_x);
      const float py = static_cast<float>(y - cy - shift_y);
      const float sx = static_cast<float>(cx) + cos_a * px + sin_a * py;
      const float sy = static_cast<float>(cy) - sin_a * px + cos_a * py;
      float* pixel = out + (static_cast<size_t>(y) * width + x) * channels;
      for (int c = 0; c < channels; ++c) {
        const float v =
            sample_bilinear(image, height, width, channels, c, sx, sy) * (1.0f / 255.0f);
        pixel[c] = std::clamp((v - 0.5f) * contrast + 0.5f + brightness, 0.0f, 1.0f);
      }
    }
  }
}

}  // namespace

BatchLoader::BatchLoader(const ImageDataset& dataset, std::vector<size_t> indices,
                         BatchLoaderOptions options)
    : dataset_(dataset), indices_(std::move(indices)), options_(options) {
  if (options_.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
  height_ = options_.image_size ? options_.image_size : dataset_.height();
  width_ = options_.image_size ? options_.image_size : dataset_.width();
  channels_ = options_.channels ? options_.channels : dataset_.channels();
  if (channels_ != dataset_.channels() && !(dataset_.channels() == 1 && channels_ == 3))
    throw std::invalid_argument("dataset has " + std::to_string(dataset_.channels()) +
                                " channels; the loader can only keep them or make 3 from 1");
  for (size_t index : indices_)
    if (index >= dataset_.records().size()) throw std::invalid_argument("index beyond the dataset");
  options_.min_last_batch = std::clamp(options_.min_last_batch, 1, options_.batch_size);
  if (options_.shard_count < 1 || options_.shard_index < 0 ||
      options_.shard_index >= options_.shard_count)
    throw std::invalid_argument("shard index must be in [0, shard count)");
  if (options_.shard_count > 1 && (options_.batch_size % options_.shard_count != 0 ||
                                   options_.min_last_batch != options_.batch_size))
    throw std::invalid_argument("a sharded loader needs whole batches divisible by the shards");
  options_.threads = std::max(1, options_.threads);
  options_.prefetch = std::max(1, options_.prefetch);
}

BatchLoader::~BatchLoader() {
  stop_workers();
}

size_t BatchLoader::batches_per_epoch() const {
  const size_t size = static_cast<size_t>(options_.batch_size);
  const size_t rest = indices_.size() % size;
  return indices_.size() / size + (rest >= static_cast<size_t>(options_.min_last_batch) ? 1 : 0);
}

size_t BatchLoader::images_per_epoch() const {
  const size_t size = static_cast<size_t>(options_.batch_size);
  const size_t rest = indices_.size() % size;
  return indices_.size() - (rest >= static_cast<size_t>(options_.min_last_batch) ? 0 : rest);
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void BatchLoader::begin_epoch(int epoch, size_t start_batch) {
  stop_workers();
  order_ = indices_;
  if (options_.shuffle)
    deterministic_shuffle(
        order_, mix_seed(options_.seed) ^ mix_seed(static_cast<std::uint64_t>(epoch) + 1));
  epoch_ = epoch;
  end_batch_ = batches_per_epoch();
  next_to_produce_ = next_to_consume_ = std::min(start_batch, end_batch_);
  ready_.clear();
  failure_ = nullptr;
  stopping_ = false;
  for (int t = 0; t < options_.threads; ++t) workers_.emplace_back([this] { worker_loop(); });
}

void BatchLoader::worker_loop() {
  while (true) {
    size_t batch_index = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || next_to_produce_ >= end_batch_ ||
               next_to_produce_ < next_to_consume_ + static_cast<size_t>(options_.prefetch);
      });
      if (stopping_ || next_to_produce_ >= end_batch_) return;
      batch_index = next_to_produce_++;
    }
    Batch batch;
    try {
      fill_batch(batch_index, batch);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      ready_.emplace(batch_index, std::move(batch));
    }
    changed_.notify_all();
  }
}

bool BatchLoader::next(Batch& batch) {
  std::unique_lock lock(mutex_);
  if (workers_.empty()) throw std::logic_error("BatchLoader::next before begin_epoch");
  if (next_to_consume_ >= end_batch_) return false;
  changed_.wait(lock, [&] { return failure_ || ready_.count(next_to_consume_); });
  if (failure_) std::rethrow_exception(failure_);
  auto found = ready_.find(next_to_consume_);
  batch = std::move(found->second);
  ready_.erase(found);
  ++next_to_consume_;
  lock.unlock();
  changed_.notify_all();
  return true;
}

void BatchLoader::fill_batch(size_t batch_index, Batch& batch) const {
  const size_t share = static_cast<size_t>(options_.batch_size / options_.shard_count);
  const size_t first = batch_index * options_.batch_size + options_.shard_index * share;
  const size_t count = options_.shard_count > 1
                           ? share
                           : std::min<size_t>(options_.batch_size, order_.size() - first);
  const int source_channels = dataset_.channels();
  const size_t source_bytes =
      static_cast<size_t>(dataset_.height()) * dataset_.width() * source_channels;
  const size_t resized_bytes = static_cast<size_t>(height_) * width_ * source_channels;
  const size_t image_floats = static_cast<size_t>(height_) * width_ * channels_;
  const int label_count = dataset_.label_count();
  batch.n = static_cast<int>(count);
  batch.height = height_;
  batch.width = width_;
  batch.channels = channels_;
  batch.label_count = label_count;
  batch.batch_index = batch_index;
  batch.images.assign(count * image_floats, 0.0f);
  batch.labels.assign(count * label_count, 0.0f);
  batch.ids.resize(count);
  batch.indices.resize(count);

  std::vector<std::uint8_t> source(source_bytes), resized(resized_bytes);
  std::vector<float> augmented(static_cast<size_t>(height_) * width_ * source_channels);
  for (size_t k = 0; k < count; ++k) {
    const size_t position = first + k;
    const size_t index = order_[position];
    const ImageRecord& record = dataset_.records()[index];
    batch.ids[k] = record.id;
    batch.indices[k] = index;
    std::copy(record.labels.begin(), record.labels.end(), batch.labels.begin() + k * label_count);

    dataset_.read_pixels(index, source.data());
    const std::uint8_t* pixels = source.data();
    if (height_ != dataset_.height() || width_ != dataset_.width()) {
      resize_image_u8(source.data(), dataset_.height(), dataset_.width(), source_channels,
                      resized.data(), height_, width_);
      pixels = resized.data();
    }
    const size_t pixel_count = static_cast<size_t>(height_) * width_;
    if (options_.augment) {
      Random random(mix_seed(options_.seed) ^
                    mix_seed((static_cast<std::uint64_t>(epoch_) << 40) + position));
      augment_into(pixels, height_, width_, source_channels, options_.augmentation, random,
                   augmented.data());
    } else {
      for (size_t i = 0; i < pixel_count * source_channels; ++i)
        augmented[i] = pixels[i] * (1.0f / 255.0f);
    }
    float* out = batch.images.data() + k * image_floats;
    if (channels_ == source_channels) {
      std::copy(augmented.begin(), augmented.end(), out);
    } else {
      for (size_t i = 0; i < pixel_count; ++i)
        for (int c = 0; c < channels_; ++c) out[i * channels_ + c] = augmented[i];
    }
  }
}

}  // namespace ihd::data
