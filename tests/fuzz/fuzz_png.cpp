// Fuzz target: read_png (stb_image's PNG decoder behind our wrapper), with the file's own channel
// count and converted to grey. A Error is the expected outcome of bad bytes.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/png_io.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".png");
  for (const int channels : {0, 1}) {
    try {
      const ihd::data::PngImage image = ihd::data::read_png(path, channels);
      const size_t expected = static_cast<size_t>(image.height) * image.width * image.channels;
      if (image.pixels.size() != expected) __builtin_trap();
    } catch (const ihd::Error&) {
    }
  }
  return 0;
}
