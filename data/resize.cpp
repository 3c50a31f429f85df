// Separable area/bilinear resizing through per-axis weight tables: each output index lists the
// source indices it reads and their weights (summing to 1).
#include "data/resize.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

namespace ihd::data {
namespace {

// One axis going from source_size to size samples, as `taps` taps per output: output o reads
// source[k * size + o] with weight[k * size + o] for k = 0 .. taps - 1, in that order (weights
// summing to 1). Outputs with fewer taps than the most are padded with weight 0 on their last
// source sample, which adds exactly nothing: every output has the same count, so loops over
// outputs vectorise.
struct AxisTaps {
  int taps = 0;
  std::vector<int> source;
  std::vector<float> weight;
};

AxisTaps axis_taps(int source_size, int size) {
  std::vector<std::vector<std::pair<int, float>>> per_output(static_cast<size_t>(size));
  const double scale = static_cast<double>(source_size) / size;
  for (int o = 0; o < size; ++o) {
    auto& taps = per_output[o];
    if (scale > 1.0) {
      const double begin = o * scale, end = (o + 1) * scale;
      for (int s = static_cast<int>(begin);
           s < std::min(source_size, static_cast<int>(std::ceil(end))); ++s) {
        const double overlap = std::min(end, s + 1.0) - std::max(begin, static_cast<double>(s));
        if (overlap > 0) taps.emplace_back(s, static_cast<float>(overlap / scale));
      }
    } else {
      const double position = std::clamp((o + 0.5) * scale - 0.5, 0.0, source_size - 1.0);
      const int left = static_cast<int>(position);
      const int right = std::min(left + 1, source_size - 1);
      const float fraction = static_cast<float>(position - left);
      taps.emplace_back(left, 1.0f - fraction);
      if (right != left && fraction > 0) taps.emplace_back(right, fraction);
    }
  }
  AxisTaps axis;
  for (const auto& taps : per_output)
    axis.taps = std::max(axis.taps, static_cast<int>(taps.size()));
  axis.source.resize(static_cast<size_t>(axis.taps) * size);
  axis.weight.resize(axis.source.size());
  for (int o = 0; o < size; ++o) {
    const auto& taps = per_output[o];
    for (int k = 0; k < axis.taps; ++k) {
      const bool real = k < static_cast<int>(taps.size());
      axis.source[static_cast<size_t>(k) * size + o] = real ? taps[k].first : taps.back().first;
      axis.weight[static_cast<size_t>(k) * size + o] = real ? taps[k].second : 0.0f;
    }
  }
  return axis;
}

// axis_taps(source_size, size), computed once per thread for the last few axes asked for (a
// data set's images share their sizes); shared, so that an entry the cache drops lives on in the
// caller's hands.
std::shared_ptr<const AxisTaps> cached_axis_taps(int source_size, int size) {
  struct Entry {
    int source_size, size;
    std::shared_ptr<const AxisTaps> taps;
  };
  constexpr size_t kEntries = 8;
  thread_local std::vector<Entry> entries;
  for (const Entry& entry : entries)
    if (entry.source_size == source_size && entry.size == size) return entry.taps;
  if (entries.size() == kEntries) entries.erase(entries.begin());
  entries.push_back(
      {source_size, size, std::make_shared<const AxisTaps>(axis_taps(source_size, size))});
  return entries.back().taps;
}

// One row along its width: out[o * channels + c] = sum over k of weight * in[source * channels +
// c]. kChannels: the channel count when it is known at compile time (1), else 0 (use `channels`).
template <int kChannels>
void resize_row(const AxisTaps& taps, const float* __restrict in, int width, int channels,
                float* __restrict out) {
  const int stride = kChannels > 0 ? kChannels : channels;
  for (int c = 0; c < stride; ++c) {
    for (int o = 0; o < width; ++o) out[o * stride + c] = 0.0f;
    for (int k = 0; k < taps.taps; ++k) {
      const int* __restrict sources = taps.source.data() + static_cast<size_t>(k) * width;
      const float* __restrict weights = taps.weight.data() + static_cast<size_t>(k) * width;
      for (int o = 0; o < width; ++o)
        out[o * stride + c] += weights[o] * in[sources[o] * stride + c];
    }
  }
}

}  // namespace

void resize_rows(int source_height, int source_width, int channels,
                 const std::function<const float*(int row)>& source_row, float* destination,
                 int height, int width) {
  const std::shared_ptr<const AxisTaps> row_cache = cached_axis_taps(source_height, height);
  const std::shared_ptr<const AxisTaps> column_cache = cached_axis_taps(source_width, width);
  const AxisTaps& row_taps = *row_cache;
  const AxisTaps& column_taps = *column_cache;
  // The height first: output row o is its taps' weighted sum of whole source rows (contiguous:
  // the loop vectorises); then the fewer rows left are resized along their width, the loop over
  // output columns vectorised with gathers.
  const size_t row_floats = static_cast<size_t>(source_width) * channels;
  thread_local std::vector<float> rows_resized;
  rows_resized.resize(static_cast<size_t>(height) * row_floats);
  for (int o = 0; o < height; ++o) {
    float* __restrict out = rows_resized.data() + o * row_floats;
    for (int k = 0; k < row_taps.taps; ++k) {
      const size_t tap = static_cast<size_t>(k) * height + o;
      const float weight = row_taps.weight[tap];
      const float* __restrict in = source_row(row_taps.source[tap]);
      if (k == 0) {
        for (size_t i = 0; i < row_floats; ++i) out[i] = weight * in[i];
      } else {
        for (size_t i = 0; i < row_floats; ++i) out[i] += weight * in[i];
      }
    }
  }
  for (int r = 0; r < height; ++r) {
    const float* in = rows_resized.data() + r * row_floats;
    float* out = destination + static_cast<size_t>(r) * width * channels;
    if (channels == 1) {
      resize_row<1>(column_taps, in, width, 1, out);  // the compiler vectorises this one
    } else {
      resize_row<0>(column_taps, in, width, channels, out);
    }
  }
}

void resize_image(const float* source, int source_height, int source_width, int channels,
                  float* destination, int height, int width) {
  if (source_height == height && source_width == width) {
    std::copy(source, source + static_cast<size_t>(height) * width * channels, destination);
    return;
  }
  const size_t row_floats = static_cast<size_t>(source_width) * channels;
  resize_rows(
      source_height, source_width, channels,
      [&](int row) { return source + static_cast<size_t>(row) * row_floats; }, destination, height,
      width);
}

void resize_image_u8(const std::uint8_t* source, int source_height, int source_width, int channels,
                     std::uint8_t* destination, int height, int width) {
  const size_t source_count = static_cast<size_t>(source_height) * source_width * channels;
  std::vector<float> source_float(source, source + source_count);
  std::vector<float> resized(static_cast<size_t>(height) * width * channels);
  resize_image(source_float.data(), source_height, source_width, channels, resized.data(), height,
               width);
  for (size_t i = 0; i < resized.size(); ++i)
    destination[i] = static_cast<std::uint8_t>(std::clamp(resized[i] + 0.5f, 0.0f, 255.0f));
}

}  // namespace ihd::data
