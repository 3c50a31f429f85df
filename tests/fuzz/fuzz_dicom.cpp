// Fuzz target: the DICOM path we own on top of DCMTK's parser: the pre-parse structure check and
// the limits, header-only metadata reading, and the full decode to HU (BitsStored/HighBit
// extraction, sign extension, the RSNA intercept fix, rescale, MONOCHROME1 inversion, padding).
// An Error is the expected outcome of bad bytes.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/dicom_reader.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".dcm");
  try {
    ihd::data::read_dicom_metadata(path);
  } catch (const ihd::Error&) {
  }
  try {
    const ihd::data::HuImage image = ihd::data::read_dicom_hu(path);
    if (image.hu.size() != static_cast<size_t>(image.rows) * image.columns) __builtin_trap();
  } catch (const ihd::Error&) {
  }
  return 0;
}
