// Fuzz target: read_rsna_labels, the RSNA CSV reader. A Error is the expected outcome of bad
// bytes; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/rsna_labels.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".csv");
  try {
    ihd::data::read_rsna_labels(path);
  } catch (const ihd::Error&) {
  }
  return 0;
}
