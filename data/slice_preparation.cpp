// Window -> resize -> quantise, channel by channel. Windowing happens at native resolution,
// before the resize, exactly as if the windowed full-size PNG had been resized.
#include "data/slice_preparation.h"

#include <sstream>
#include <stdexcept>

#include "data/resize.h"

namespace ihd::data {

std::vector<ChannelSpec> window_channels(const std::vector<Window>& windows) {
  std::vector<ChannelSpec> channels;
  for (const Window& window : windows) channels.push_back({0, window});
  return channels;
}

std::vector<ChannelSpec> adjacent_slice_channels(Window window) {
  return {{-1, window}, {0, window}, {1, window}};
}

std::string describe_channels(std::span<const ChannelSpec> channels) {
  std::ostringstream text;
  for (size_t i = 0; i < channels.size(); ++i)
    text << (i ? "/" : "") << channels[i].slice_offset << '@' << channels[i].window.center_hu << ','
         << channels[i].window.width_hu;
  return text.str();
}

PreparedImage prepare_image(std::span<const HuImage* const> channel_slices,
                            std::span<const ChannelSpec> channels, int size) {
  if (channel_slices.size() != channels.size() || channels.empty())
    throw std::invalid_argument("prepare_image: one slice per channel needed");
  const int rows = channel_slices[0]->rows, columns = channel_slices[0]->columns;
  const int channel_count = static_cast<int>(channels.size());
  const size_t pixel_count = static_cast<size_t>(rows) * columns;
  PreparedImage image;
  image.height = size > 0 ? size : rows;
  image.width = size > 0 ? size : columns;
  image.channels = channel_count;
  const size_t out_pixels = static_cast<size_t>(image.height) * image.width;
  image.pixels.resize(out_pixels * channel_count);
  // One channel at a time, each a plane of its own (contiguous: the loops vectorise), in this
  // thread's buffers, reused from image to image; interleaved once quantised.
  thread_local std::vector<float> matched, windowed, resized;
  thread_local std::vector<std::uint8_t> quantised;
  for (int c = 0; c < channel_count; ++c) {
    const HuImage& slice = *channel_slices[c];
    const float* hu = slice.hu.data();
    if (slice.rows != rows || slice.columns != columns) {
      matched.resize(pixel_count);
      resize_image(slice.hu.data(), slice.rows, slice.columns, 1, matched.data(), rows, columns);
      hu = matched.data();
    }
    const Window window = channels[c].window;
    const float* plane = nullptr;
    if (image.height != rows || image.width != columns) {
      // Windowed row by row as the resize reads them, so that the full-size plane is never
      // stored; the last kRing rows are kept, since neighbouring output rows share source rows.
      constexpr int kRing = 4;
      windowed.resize(static_cast<size_t>(columns) * kRing);
      int ring_row[kRing] = {-1, -1, -1, -1};
      resized.resize(out_pixels);
      resize_rows(
          rows, columns, 1,
          [&](int row) {
            float* __restrict out = windowed.data() + static_cast<size_t>(row % kRing) * columns;
            if (ring_row[row % kRing] != row) {
              const float* __restrict in = hu + static_cast<size_t>(row) * columns;
              for (int i = 0; i < columns; ++i) out[i] = window_unit(in[i], window);
              ring_row[row % kRing] = row;
            }
            return out;
          },
          resized.data(), image.height, image.width);
      plane = resized.data();
    } else {
      windowed.resize(pixel_count);
      for (size_t i = 0; i < pixel_count; ++i) windowed[i] = window_unit(hu[i], window);
      plane = windowed.data();
    }
    // Bytes may alias anything: through restrict pointers the compiler knows they do not.
    quantised.resize(out_pixels);
    std::uint8_t* __restrict bytes = quantised.data();
    const float* __restrict values = plane;
    for (size_t i = 0; i < out_pixels; ++i) bytes[i] = unit_to_u8(values[i]);
    std::uint8_t* __restrict pixels = image.pixels.data();
    for (size_t i = 0; i < out_pixels; ++i) pixels[i * channel_count + c] = bytes[i];
  }
  return image;
}

}  // namespace ihd::data
