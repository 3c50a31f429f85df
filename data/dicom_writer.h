// Writes a CT slice in HU as a real DICOM file (CT Image Storage, explicit VR little endian)
// through DCMTK, storing the pixels in one of the encodings real scanners and the RSNA set use,
// with the metadata of HuImage (IDs kept verbatim even when they are not valid UIDs, position,
// orientation and instance number where the metadata has them, spacing, multi-valued window).
// Used by ihd_synth and by the round-trip tests.
#pragma once

#include <filesystem>

#include "data/dicom_reader.h"

namespace ihd::data {

enum class CtEncoding : int {
  signed16_intercept_1024 = 0,    // PixelRepresentation 1, BitsStored 16, intercept -1024
  unsigned12_intercept_1024 = 1,  // PixelRepresentation 0, BitsStored 12, intercept -1024
  rsna_wrong_intercept = 2,       // BitsStored 12, unsigned, intercept 1: needs the RSNA fix
};

// The HU range an encoding can hold; write_ct_dicom clamps to it.
struct HuRange {
  float lowest;
  float highest;
};
HuRange representable_hu(CtEncoding encoding);

// Writes atomically (temporary file + rename). HU values are rounded to integers.
// Throws Error (io) when the file cannot be written.
void write_ct_dicom(const std::filesystem::path& path, const HuImage& image, CtEncoding encoding);

}  // namespace ihd::data
