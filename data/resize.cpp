// Separable area/bilinear resizing through per-axis weight tables: each output index lists the
// source indices it reads and their weights (summing to 1).
#include "data/resize.h"

#include <algorithm>
#include <cmath>

namespace ihd::data {
namespace {

struct Tap {
  int source;
  float weight;
};

// taps[o] for output o of an axis going from source_size to size samples.
std::vector<std::vector<Tap>> axis_taps(int source_size, int size) {
  std::vector<std::vector<Tap>> taps(size);
  const double scale = static_cast<double>(source_size) / size;
  for (int o = 0; o < size; ++o) {
    if (scale > 1.0) {
      const double begin = o * scale, end = (o + 1) * scale;
      for (int s = static_cast<int>(begin);
           s < std::min(source_size, static_cast<int>(std::ceil(end))); ++s) {
        const double overlap = std::min(end, s + 1.0) - std::max(begin, static_cast<double>(s));
        if (overlap > 0) taps[o].push_back({s, static_cast<float>(overlap / scale)});
      }
    } else {
      const double position = std::clamp((o + 0.5) * scale - 0.5, 0.0, source_size - 1.0);
      const int left = static_cast<int>(position);
      const int right = std::min(left + 1, source_size - 1);
      const float fraction = static_cast<float>(position - left);
      taps[o].push_back({left, 1.0f - fraction});
      if (right != left && fraction > 0) taps[o].push_back({right, fraction});
    }
  }
  return taps;
}

}  // namespace

void resize_image(const float* source, int source_height, int source_width, int channels,
                  float* destination, int height, int width) {
  if (source_height == height && source_width == width) {
    std::copy(source, source + static_cast<size_t>(height) * width * channels, destination);
    return;
  }
  const auto column_taps = axis_taps(source_width, width);
  const auto row_taps = axis_taps(source_height, height);
  std::vector<float> rows_resized(static_cast<size_t>(source_height) * width * channels, 0.0f);
  for (int r = 0; r < source_height; ++r) {
    const float* in = source + static_cast<size_t>(r) * source_width * channels;
    float* out = rows_resized.data() + static_cast<size_t>(r) * width * channels;
    for (int o = 0; o < width; ++o)
      for (const Tap& tap : column_taps[o])
        for (int c = 0; c < channels; ++c)
          out[o * channels + c] += tap.weight * in[tap.source * channels + c];
  }
  const size_t row_floats = static_cast<size_t>(width) * channels;
  std::fill(destination, destination + height * row_floats, 0.0f);
  for (int o = 0; o < height; ++o) {
    float* out = destination + o * row_floats;
    for (const Tap& tap : row_taps[o]) {
      const float* in = rows_resized.data() + tap.source * row_floats;
      for (size_t i = 0; i < row_floats; ++i) out[i] += tap.weight * in[i];
    }
  }
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
