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
#include <fstream>
#include <string>
#include <string_view>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::data {
namespace {

void append_bytes(void* context, void* data, int size) {
  auto& bytes = *static_cast<std::vector<unsigned char>*>(context);
  const auto* begin = static_cast<const unsigned char*>(data);
  bytes.insert(bytes.end(), begin, begin + size);
}

std::uint32_t big_endian_u32(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

// Refuses a file with a chunk longer than what follows it (stb_image reserves memory for a
// chunk's declared length before reading it, so a 300-byte file declaring a 1.6 GB chunk would
// otherwise cost 1.6 GB), or with an empty image-data chunk. Reads the chunk headers only.
void check_chunk_lengths(const std::filesystem::path& path) {
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(path, error);
  if (error) throw Error(ErrorKind::unreadable, path.string(), "cannot open: " + error.message());
  std::ifstream in(path, std::ios::binary);
  unsigned char header[8];
  for (std::uint64_t at = 8; at + 8 <= size;) {  // after the 8-byte signature
    if (!in.seekg(static_cast<std::streamoff>(at)) ||
        !in.read(reinterpret_cast<char*>(header), sizeof header))
      throw Error(ErrorKind::unreadable, path.string(), "cannot read");
    const std::uint64_t length = big_endian_u32(header);
    if (length + 12 > size - at)
      throw Error(ErrorKind::bad_image, path.string(),
                  "PNG chunk declares " + std::to_string(length) +
                      " bytes, more than the file holds after it (cut or damaged file)");
    const std::string_view type(reinterpret_cast<const char*>(header + 4), 4);
    // stb_image copies a first IDAT of no bytes into a buffer it has not allocated (undefined
    // behaviour, found by fuzz_png); no encoder writes one.
    if (type == "IDAT" && length == 0)
      throw Error(ErrorKind::bad_image, path.string(), "empty PNG IDAT chunk (damaged file)");
    if (type == "IEND") break;
    at += 12 + length;
  }
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
                    " pixels exceeds the limit of " + std::to_string(kMaxPngSide) + " a side and " +
                    std::to_string(kMaxPngDecodedBytes >> 20) + " MiB decoded");
  return header;
}

PngImage read_png(const std::filesystem::path& path, int wanted_channels) {
  read_png_header(path);
  check_chunk_lengths(path);
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
