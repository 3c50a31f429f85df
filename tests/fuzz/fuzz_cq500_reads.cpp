// Fuzz target: read_cq500_reads, the CQ500 reads.csv reader. A Error is the expected outcome of
// bad bytes; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/study_labels.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".csv");
  try {
    ihd::data::read_cq500_reads(path);
  } catch (const ihd::Error&) {
  }
  return 0;
}
