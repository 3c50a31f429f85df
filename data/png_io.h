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

// The largest PNG read: 8192 pixels a side and 256 MiB decoded, the DICOM reader's defaults.
inline constexpr int kMaxPngSide = 8192;
inline constexpr std::uint64_t kMaxPngDecodedBytes = std::uint64_t{256} << 20;

struct PngHeader {
  int height = 0;
  int width = 0;
  int channels = 0;  // in the file
};

// Reads the header only; throws Error (bad_image) for a file that is not a PNG and Error
// (too_large) for one larger than the limits above.
PngHeader read_png_header(const std::filesystem::path& path);

// Decodes with the file's own channel count, or converts to wanted_channels when nonzero. The
// header is checked first, so a PNG that declares a huge image is refused before any allocation.
// Throws Error (bad_image, too_large).
PngImage read_png(const std::filesystem::path& path, int wanted_channels = 0);

}  // namespace ihd::data
