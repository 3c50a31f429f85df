// Reads one DICOM slice into Hounsfield units (or, for non-CT images, rescaled modality values).
//
// The conversion, in order: decode the transfer syntax (uncompressed little/big endian, implicit
// or explicit VR, deflate, RLE, JPEG baseline/extended/lossless, JPEG-LS through DCMTK's codecs),
// take each stored word's BitsStored bits ending at HighBit, sign-extend them when
// PixelRepresentation is 1, apply the RSNA wrong-intercept fix, apply RescaleSlope/Intercept,
// invert MONOCHROME1 images within their value range (so bright always means dense), and give
// pixels equal to PixelPaddingValue (or inside PixelPaddingRangeLimit) the lowest value of the
// image's real pixels. Multi-frame files yield their first frame.
//
// Every failure is a Error naming the file and the reason (truncated, not DICOM, unsupported
// transfer syntax such as JPEG 2000, colour image, ...); nothing here aborts the process.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace ihd::data {

struct DicomMetadata {
  std::string patient_id;
  std::string study_instance_uid;   // RSNA files hold anonymised strings such as "ID_5a5ef3a5e6"
  std::string series_instance_uid;  // (not valid UIDs): kept verbatim
  std::string sop_instance_uid;
  std::string modality;
  std::string photometric_interpretation;
  std::string transfer_syntax_uid;
  bool has_image_position = false;
  std::array<double, 3> image_position_patient_mm{};  // x, y, z of the first pixel's centre
  std::array<double, 2> pixel_spacing_mm{};           // row spacing, column spacing; 0 if absent
  std::vector<double> window_centers;                 // WindowCenter, every value (VM 1-n)
  std::vector<double> window_widths;
  int rows = 0;
  int columns = 0;
  int bits_allocated = 0;
  int bits_stored = 0;
  int high_bit = 0;
  int pixel_representation = 0;  // 0 unsigned, 1 two's complement
  double rescale_slope = 1.0;
  double rescale_intercept = 0.0;     // as stored in the file
  bool rsna_intercept_fixed = false;  // true when the RSNA wrong-intercept fix was applied
};

struct HuImage {
  int rows = 0;
  int columns = 0;
  std::vector<float> hu;  // rows x columns, row-major
  DicomMetadata metadata;

  float at(int row, int column) const { return hu[static_cast<size_t>(row) * columns + column]; }
};

// Decodes the file's first frame into HU. Throws Error.
HuImage read_dicom_hu(const std::filesystem::path& path);

// Reads the header only (pixel data is not loaded or decoded): for ordering slices cheaply.
// Throws Error when the file is not DICOM or has no image.
DicomMetadata read_dicom_metadata(const std::filesystem::path& path);

// The RSNA wrong-intercept fix as public solutions apply it: when BitsStored is 12,
// PixelRepresentation is 0 and RescaleIntercept > -100, the stored value gets 1000 added,
// wraps at 4096, and the intercept becomes -1000.
bool needs_rsna_intercept_fix(int bits_stored, int pixel_representation, double intercept);
int rsna_fixed_stored_value(int stored_value);

}  // namespace ihd::data
