// Fuzz target: the DICOM path we own on top of DCMTK's parser: the pre-parse structure check and
// the limits, header-only metadata reading, and the full decode to HU (BitsStored/HighBit
// extraction, sign extension, the RSNA intercept fix, rescale, MONOCHROME1 inversion, padding).
// An Error is the expected outcome of bad bytes. The limits are smaller than the defaults (2048 a
// side, 16 MiB decoded), so that an input the limits let through fits several times in the
// fuzzer's 512 MB resident limit even with AddressSanitizer's overhead: a run over it means a
// limit was not applied.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/dicom_reader.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".dcm");
  ihd::data::DicomLimits limits;
  limits.max_rows_or_columns = 2048;
  limits.max_decoded_bytes = std::uint64_t{16} << 20;
  try {
    ihd::data::read_dicom_metadata(path, limits);
  } catch (const ihd::Error&) {
  }
  try {
    const ihd::data::HuImage image = ihd::data::read_dicom_hu(path, limits);
    if (image.hu.size() != static_cast<size_t>(image.rows) * image.columns) __builtin_trap();
  } catch (const ihd::Error&) {
  }
  return 0;
}
