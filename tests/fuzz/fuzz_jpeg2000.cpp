// Fuzz target: decode_jpeg2000 (OpenJPEG behind our wrapper) on a raw codestream. The first four
// bytes give the image size the DICOM header would declare (rows, columns: 16 bits each, at most
// 1024), so that a mutated size in the codestream's SIZ segment meets both a matching and a
// mismatching header. A Error is the expected outcome of bad bytes.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/jpeg2000.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const int rows = 1 + ((data[0] << 8 | data[1]) % 1024);
  const int columns = 1 + ((data[2] << 8 | data[3]) % 1024);
  try {
    const ihd::data::Jpeg2000Frame frame = ihd::data::decode_jpeg2000(data + 4, size - 4, rows, columns);
    if (frame.samples.size() != static_cast<size_t>(rows) * static_cast<size_t>(columns)) {
      __builtin_trap();
    }
  } catch (const ihd::Error&) {
  }
  return 0;
}
