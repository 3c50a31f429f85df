// The one translation unit that compiles stb_image and stb_image_write (PNG only).
#include "data/png_io.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <cstdlib>
#include <string>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::data {
namespace {

void append_bytes(void* context, void* data, int size) {
  auto& bytes = *static_cast<std::vector<unsigned char>*>(context);
  const auto* begin = static_cast<const unsigned char*>(data);
  bytes.insert(bytes.end(), begin, begin + size);
}

}  // namespace

void write_png(const std::filesystem::path& path, const std::uint8_t* pixels, int height, int width,
               int channels) {
  std::vector<unsigned char> bytes;
  if (!stbi_write_png_to_func(append_bytes, &bytes, width, height, channels, pixels,
                              width * channels))
    throw Error(ErrorKind::io, path.string(), "PNG encoding failed");
  write_file_atomically(path, bytes);
}

PngHeader read_png_header(const std::filesystem::path& path) {
  PngHeader header;
  if (!stbi_info(path.c_str(), &header.width, &header.height, &header.channels))
    throw Error(ErrorKind::bad_image, path.string(),
                std::string("not a PNG file: ") + stbi_failure_reason());
  const std::uint64_t decoded = static_cast<std::uint64_t>(header.width) * header.height * 4;
  if (header.width > kMaxPngSide || header.height > kMaxPngSide || decoded > kMaxPngDecodedBytes)
    throw Error(ErrorKind::too_large, path.string(),
                "PNG of " + std::to_string(header.width) + " x " + std::to_string(header.height) +
                    " pixels exceeds the limit of " + std::to_string(kMaxPngSide) +
                    " a side and " + std::to_string(kMaxPngDecodedBytes >> 20) + " MiB decoded");
  return header;
}

PngImage read_png(const std::filesystem::path& path, int wanted_channels) {
  read_png_header(path);
  int width = 0, height = 0, file_channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &width, &height, &file_channels, wanted_channels);
  if (!data)
    throw Error(ErrorKind::bad_image, path.string(),
                std::string("cannot decode PNG: ") + stbi_failure_reason());
  PngImage image;
  image.height = height;
  image.width = width;
  image.channels = wanted_channels ? wanted_channels : file_channels;
  image.pixels.assign(data, data + static_cast<size_t>(height) * width * image.channels);
  stbi_image_free(data);
  return image;
}

}  // namespace ihd::data
