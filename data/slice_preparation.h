// Turns HU slices into the network's input image: each channel is one slice of the series
// (current, previous or next by ImagePositionPatient) seen through one window; the stacked
// channels are resized to the training size and quantised to 8 bits (HWC, uint8).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/dicom_reader.h"
#include "data/windowing.h"

namespace ihd::data {

struct ChannelSpec {
  int slice_offset = 0;  // 0 the slice itself, -1 the previous one in its series, +1 the next
  Window window;
};

// Every window on the current slice (the default: brain, subdural, bone).
std::vector<ChannelSpec> window_channels(const std::vector<Window>& windows);
// Previous, current and next slice through one window.
std::vector<ChannelSpec> adjacent_slice_channels(Window window);
// A stable text form ("0@40,80/0@80,200/0@600,2800"), recorded in caches to detect changes.
std::string describe_channels(std::span<const ChannelSpec> channels);

struct PreparedImage {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // height x width x channels
};

// channel_slices[k] is the slice channel k reads (the same slice may appear several times).
// size 0 keeps the native size of channel_slices[0]; otherwise the result is size x size. A slice
// whose size differs from the first one's is resized to it before windowing.
PreparedImage prepare_image(std::span<const HuImage* const> channel_slices,
                            std::span<const ChannelSpec> channels, int size);

}  // namespace ihd::data
