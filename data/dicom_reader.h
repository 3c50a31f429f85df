// Reads one DICOM slice into Hounsfield units (or, for non-CT images, rescaled modality values).
//
// The checks, in order, each before anything it guards is allocated or parsed:
//   1. the file opens and is not empty (unreadable, empty_file);
//   2. the pre-parse check of data/dicom_structure.h, before DCMTK walks the file: sequences
//      nested more than 64 deep, an element value longer than max_decoded_bytes, a deflated data
//      set inflating past max_decoded_bytes (too_large), a broken first meta element (not_dicom);
//   3. DCMTK parses the file, leaving every value over 4 KiB on disk until it is asked for (lazy
//      loading: the pixel data is not read yet);
//   4. Rows, Columns and PixelData present (no_pixel_data); Rows and Columns read as 64-bit
//      integers whatever their VR (US, UL, SS, IS text...), at least 1 (bad_value) and at most
//      max_rows_or_columns (too_large); NumberOfFrames at least 1 (bad_value);
//   5. greyscale with 8 or 16 bits allocated and a consistent BitsStored / HighBit
//      (unsupported_pixel_format);
//   6. Rows x Columns x frames x bytes per sample, computed in 64 bits with overflow checked, at
//      most max_decoded_bytes (too_large): this bounds what a codec decodes (RLE, JPEG: all frames)
//      and what uncompressed pixel data may hold;
//   7. RescaleSlope and RescaleIntercept finite (bad_value; a slope of 0 counts as absent);
//   8. (pixels) encapsulated data decoded through DCMTK's codecs (JPEG 2000 through OpenJPEG, whose
//      image must be what Rows and Columns say: data/jpeg2000.h), or uncompressed PixelData no more
//      than 1 MiB longer than the header declares (too_large; pydicom accepts and strips any excess
//      with a warning, writers pad by a byte or to a block; more means the header is wrong about
//      what the file holds) and not shorter (truncated).
//
// The conversion, in order: decode the transfer syntax (uncompressed little/big endian, implicit
// or explicit VR, deflate, RLE, JPEG baseline/extended/lossless, JPEG-LS through DCMTK's codecs;
// JPEG 2000 lossless and lossy through OpenJPEG),
// take each stored word's BitsStored bits ending at HighBit, sign-extend them when
// PixelRepresentation is 1, apply the RSNA wrong-intercept fix, apply RescaleSlope/Intercept,
// invert MONOCHROME1 images within their value range (so bright always means dense), and give
// pixels equal to PixelPaddingValue (or inside PixelPaddingRangeLimit) the lowest value of the
// image's real pixels.
//
// Multi-frame images (Enhanced CT, and classic multi-frame files): every frame is a slice. An
// Enhanced image's frames take their position, orientation, pixel spacing and rescale from the
// per-frame functional groups (PerFrameFunctionalGroupsSequence), else the shared ones
// (SharedFunctionalGroupsSequence), else the top-level attributes; its item count must equal
// NumberOfFrames (bad_value), and NumberOfFrames is at most DicomLimits::max_frames (too_large).
// Encapsulated frames are found through the basic offset table, else one fragment per frame, else
// fragments ending in an end-of-image marker (JPEG 2000); DCMTK's codecs decode all frames at once.
//
// Every failure is an Error naming the file and the reason (truncated, not DICOM, unsupported
// transfer syntax such as JPEG 2000 Part 2 or video, colour image, a limit exceeded and how to
// raise it...);
// nothing here aborts the process.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ihd::data {

// What one file may make the reader allocate. The defaults take any real CT, MR, CR or DX image
// (RSNA slices are 512 x 512 x 2 bytes = 0.5 MiB; detector images reach about 4k x 5k; an enhanced
// multi-frame CT volume of 500 slices 512 x 512 is 250 MiB) and keep a hostile file's cost to a
// few hundred MB per file being read (ihd_prepare reads one file per thread).
struct DicomLimits {
  int max_rows_or_columns = 8192;  // 8192 x 8192 x 2 bytes = 128 MiB: sides no scanner reaches
  // Total pixel data decoded (all frames) or data set inflated, and the longest element value.
  std::uint64_t max_decoded_bytes = std::uint64_t{256} << 20;
  // Frames of one multi-frame image: a whole-body Enhanced CT at 0.5 mm holds about 4000.
  int max_frames = 10000;
};

// One frame's own geometry and rescale, from an Enhanced image's functional groups (per frame,
// else shared, else the file's top-level value). Absent or malformed values count as absent, as
// in DicomMetadata.
struct FrameGeometry {
  bool has_image_position = false;
  std::array<double, 3> image_position_patient_mm{};
  bool has_image_orientation = false;
  std::array<double, 6> image_orientation_patient{};
  std::array<double, 2> pixel_spacing_mm{};
  double rescale_slope = 1.0;
  double rescale_intercept = 0.0;
};

struct DicomMetadata {
  std::string patient_id;
  std::string study_instance_uid;   // RSNA files hold anonymised strings such as "ID_5a5ef3a5e6"
  std::string series_instance_uid;  // (not valid UIDs): kept verbatim
  std::string sop_instance_uid;
  std::string modality;
  std::string photometric_interpretation;
  std::string transfer_syntax_uid;
  // Geometry, for ordering a series' slices (data/series.h). A value that is absent, has the
  // wrong number of components or holds a NaN or an infinity counts as absent (the slice is still
  // read: only its place in the series falls back to a coarser key).
  bool has_image_position = false;
  std::array<double, 3> image_position_patient_mm{};  // x, y, z of the first pixel's centre
  bool has_image_orientation = false;
  // ImageOrientationPatient: the row direction's x, y, z cosines, then the column direction's.
  std::array<double, 6> image_orientation_patient{};
  bool has_instance_number = false;
  long instance_number = 0;  // InstanceNumber (IS); a value beyond 64 bits saturates
  std::array<double, 2> pixel_spacing_mm{};  // row spacing, column spacing; 0 if absent
  std::vector<double> window_centers;        // WindowCenter, every value (VM 1-n)
  std::vector<double> window_widths;
  int rows = 0;
  int columns = 0;
  int frames = 1;  // NumberOfFrames (1 when absent)
  int frame = 0;   // the frame (0-based) whose geometry and rescale the fields above hold
  // Each frame's, for a file with functional groups (Enhanced CT); empty otherwise. The fields
  // above hold frame 0's; metadata_of_frame gives another's.
  std::vector<FrameGeometry> frame_geometry;
  std::uint64_t pixel_data_bytes = 0;  // rows x columns x frames x bytes per sample, as declared
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
HuImage read_dicom_hu(const std::filesystem::path& path, const DicomLimits& limits = {});

// Decodes every frame (a single-frame file has one) into HU, giving each to `each_frame` in frame
// order with its own metadata (metadata_of_frame). The file is decoded once; frames are converted
// one at a time. Throws Error before any frame is given when the header is wrong or the pixel
// data too short; a JPEG 2000 frame that cannot be decoded throws after the frames before it.
void read_dicom_hu_frames(const std::filesystem::path& path, const DicomLimits& limits,
                          const std::function<void(HuImage&&)>& each_frame);

// The header as frame `frame` (0-based, < frames) sees it: its own position, orientation, pixel
// spacing and rescale where the file has functional groups; `frame` set; frame_geometry left empty.
DicomMetadata metadata_of_frame(const DicomMetadata& file, int frame);

// Reads the header only (pixel data is not loaded or decoded): for ordering slices cheaply. Runs
// checks 1 to 7. Throws Error when the file is not DICOM, has no image or exceeds a limit.
DicomMetadata read_dicom_metadata(const std::filesystem::path& path,
                                  const DicomLimits& limits = {});

// The RSNA wrong-intercept fix as public solutions apply it: when BitsStored is 12,
// PixelRepresentation is 0 and RescaleIntercept > -100, the stored value gets 1000 added,
// wraps at 4096, and the intercept becomes -1000.
bool needs_rsna_intercept_fix(int bits_stored, int pixel_representation, double intercept);
inline int rsna_fixed_stored_value(int stored_value) {
  const int shifted = stored_value + 1000;
  return shifted >= 4096 ? shifted - 4096 : shifted;
}

}  // namespace ihd::data
