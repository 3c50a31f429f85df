// Fuzz target: read_safetensors (its header read by common/json, and byte-range checks) and the
// conversion of every tensor it accepts. ihd::Error is the expected outcome of bad bytes; anything
// else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "engine/safetensors.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".safetensors");
  try {
    const ihd::SafetensorsFile file = ihd::read_safetensors(path.string());
    for (const ihd::SafetensorsEntry& entry : file.tensors) {
      entry.to_tensor();
      if (entry.dtype != "I64") entry.to_doubles();
    }
  } catch (const ihd::Error&) {
  }
  return 0;
}
