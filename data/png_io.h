// 8-bit PNG reading and writing through stb_image / stb_image_write (Debian's libstb-dev): grey
// for one channel, RGB for three, interleaved HWC bytes in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace ihd::data {

struct PngImage {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // height x width x channels
};

// Writes atomically. channels must be 1, 3 or 4. Throws Error (io).
void write_png(const std::filesystem::path& path, const std::uint8_t* pixels, int height, int width,
               int channels);

// Decodes with the file's own channel count, or converts to wanted_channels when nonzero.
// Throws Error (bad_image).
PngImage read_png(const std::filesystem::path& path, int wanted_channels = 0);

}  // namespace ihd::data
