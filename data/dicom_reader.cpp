// DICOM -> HU through DCMTK's dcmdata and its decompression codecs. See dicom_reader.h for the
// order of the conversion steps; the pixel arithmetic is done here by hand (not by dcmimgle) so
// that the RSNA fix, which needs the raw stored values, sits in plain sight.
#include "data/dicom_reader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>

#include "common/error.h"

namespace ihd::data {
namespace {

// DCMTK's codecs live in a global registry; register them once. DCMTK's own log output is
// silenced: every problem reaches the caller as a Error instead.
void register_dcmtk_codecs_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    DcmRLEDecoderRegistration::registerCodecs();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  });
}

[[noreturn]] void fail(ErrorKind kind, const std::filesystem::path& path,
                       const std::string& reason) {
  throw Error(kind, path.string(), reason);
}

// EC_InvalidStream is what DCMTK reports when the last element's value runs past the end.
bool is_truncation(const OFCondition& condition) {
  return condition == EC_StreamNotifyClient || condition == EC_EndOfStream ||
         condition == EC_InvalidStream || condition == EC_PrematureSequDelimitationItem ||
         condition == EC_SequEnd || condition == EC_ItemEnd;
}

// True when the file carries the Part 10 preamble and "DICM" magic at byte 128.
bool has_dicm_prefix(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.seekg(128);
  in.read(magic, 4);
  return in.good() && std::string_view(magic, 4) == "DICM";
}

// Loads the file; values longer than max_value_bytes stay on disk (lazy loading) when nonzero.
void load_file(DcmFileFormat& file, const std::filesystem::path& path, Uint32 max_value_bytes) {
  register_dcmtk_codecs_once();
  std::error_code size_error;
  const auto size_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) fail(ErrorKind::unreadable, path, "cannot open: " + size_error.message());
  if (size_bytes == 0) fail(ErrorKind::empty_file, path, "empty file");
  const Uint32 read_length = max_value_bytes ? max_value_bytes : DCM_MaxReadLength;
  const OFCondition status =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, read_length, ERM_autoDetect);
  if (status.good()) return;
  if (is_truncation(status) && has_dicm_prefix(path))
    fail(ErrorKind::truncated, path,
         std::string("truncated or damaged DICOM file (") + status.text() + ")");
  fail(ErrorKind::not_dicom, path, std::string("not a DICOM file (") + status.text() + ")");
}

std::string get_string(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).good()) return value.c_str();
  return {};
}

std::optional<long> get_integer(DcmItem& item, const DcmTagKey& tag) {
  Uint16 unsigned_value = 0;
  if (item.findAndGetUint16(tag, unsigned_value).good()) return unsigned_value;
  Sint16 signed_value = 0;
  if (item.findAndGetSint16(tag, signed_value).good()) return signed_value;
  OFString text;
  if (item.findAndGetOFString(tag, text).good() && !text.empty()) {
    try {
      return std::stol(text.c_str());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<double> get_doubles(DcmItem& item, const DcmTagKey& tag) {
  std::vector<double> values;
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || element == nullptr) return values;
  for (unsigned long i = 0; i < element->getVM(); ++i) {
    Float64 value = 0;
    if (element->getFloat64(value, i).bad()) {
      OFString text;
      if (element->getOFString(text, i).bad()) break;
      try {
        value = std::stod(text.c_str());
      } catch (const std::exception&) {
        break;
      }
    }
    values.push_back(value);
  }
  return values;
}

DicomMetadata read_metadata(DcmDataset& dataset, const std::filesystem::path& path) {
  DicomMetadata meta;
  meta.patient_id = get_string(dataset, DCM_PatientID);
  meta.study_instance_uid = get_string(dataset, DCM_StudyInstanceUID);
  meta.series_instance_uid = get_string(dataset, DCM_SeriesInstanceUID);
  meta.sop_instance_uid = get_string(dataset, DCM_SOPInstanceUID);
  meta.modality = get_string(dataset, DCM_Modality);
  meta.photometric_interpretation = get_string(dataset, DCM_PhotometricInterpretation);
  meta.transfer_syntax_uid = DcmXfer(dataset.getOriginalXfer()).getXferID();
  const auto position = get_doubles(dataset, DCM_ImagePositionPatient);
  if (position.size() == 3) {
    meta.has_image_position = true;
    std::copy(position.begin(), position.end(), meta.image_position_patient_mm.begin());
  }
  const auto spacing = get_doubles(dataset, DCM_PixelSpacing);
  if (spacing.size() == 2) std::copy(spacing.begin(), spacing.end(), meta.pixel_spacing_mm.begin());
  meta.window_centers = get_doubles(dataset, DCM_WindowCenter);
  meta.window_widths = get_doubles(dataset, DCM_WindowWidth);

  const auto rows = get_integer(dataset, DCM_Rows);
  const auto columns = get_integer(dataset, DCM_Columns);
  if (!rows || !columns || *rows <= 0 || *columns <= 0 || !dataset.tagExists(DCM_PixelData))
    fail(ErrorKind::no_pixel_data, path, "no image (Rows, Columns or PixelData missing)");
  meta.rows = static_cast<int>(*rows);
  meta.columns = static_cast<int>(*columns);
  meta.bits_allocated = static_cast<int>(get_integer(dataset, DCM_BitsAllocated).value_or(0));
  meta.bits_stored =
      static_cast<int>(get_integer(dataset, DCM_BitsStored).value_or(meta.bits_allocated));
  meta.high_bit =
      static_cast<int>(get_integer(dataset, DCM_HighBit).value_or(meta.bits_stored - 1));
  meta.pixel_representation =
      static_cast<int>(get_integer(dataset, DCM_PixelRepresentation).value_or(0));
  const auto slope = get_doubles(dataset, DCM_RescaleSlope);
  const auto intercept = get_doubles(dataset, DCM_RescaleIntercept);
  if (!slope.empty() && slope[0] != 0.0) meta.rescale_slope = slope[0];
  if (!intercept.empty()) meta.rescale_intercept = intercept[0];

  const long samples_per_pixel = get_integer(dataset, DCM_SamplesPerPixel).value_or(1);
  if (samples_per_pixel != 1)
    fail(ErrorKind::unsupported_pixel_format, path,
         "colour image (SamplesPerPixel " + std::to_string(samples_per_pixel) +
             "), expected greyscale");
  if (meta.bits_allocated != 8 && meta.bits_allocated != 16)
    fail(ErrorKind::unsupported_pixel_format, path,
         "unsupported BitsAllocated " + std::to_string(meta.bits_allocated) + " (need 8 or 16)");
  if (meta.bits_stored < 1 || meta.bits_stored > meta.bits_allocated ||
      meta.high_bit < meta.bits_stored - 1 || meta.high_bit >= meta.bits_allocated)
    fail(ErrorKind::unsupported_pixel_format, path,
         "inconsistent BitsStored " + std::to_string(meta.bits_stored) + " / HighBit " +
             std::to_string(meta.high_bit));
  return meta;
}

// Decompresses encapsulated pixel data in place, or explains why it cannot.
void decode_transfer_syntax(DcmDataset& dataset, const std::filesystem::path& path) {
  const DcmXfer original(dataset.getOriginalXfer());
  if (!original.isEncapsulated()) return;
  const std::string name = std::string(original.getXferName()) + " (" + original.getXferID() + ")";
  const E_TransferSyntax xfer = original.getXfer();
  const bool has_decoder = xfer == EXS_RLELossless ||
                           (xfer >= EXS_JPEGProcess1 && xfer <= EXS_JPEGProcess14SV1) ||
                           xfer == EXS_JPEGLSLossless || xfer == EXS_JPEGLSLossy;
  if (!has_decoder)
    fail(ErrorKind::unsupported_transfer_syntax, path,
         "unsupported transfer syntax " + name + ": no decoder");
  const OFCondition status = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (status.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit))
    fail(ErrorKind::unsupported_transfer_syntax, path,
         "cannot decode transfer syntax " + name + ": " + status.text());
}

// The pixel data's bytes in host order, one stored word per pixel of bits_allocated bits.
struct PixelBytes {
  const std::uint8_t* data = nullptr;
  size_t size_bytes = 0;
};

PixelBytes pixel_bytes(DcmDataset& dataset, int bits_allocated, const std::filesystem::path& path) {
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr)
    fail(ErrorKind::no_pixel_data, path, "no PixelData element");
  PixelBytes bytes;
  bytes.size_bytes = element->getLength();
  Uint8* as_bytes = nullptr;
  Uint16* as_words = nullptr;
  const bool words_first = bits_allocated == 16;
  if (words_first && element->getUint16Array(as_words).good() && as_words) {
    bytes.data = reinterpret_cast<const std::uint8_t*>(as_words);
  } else if (element->getUint8Array(as_bytes).good() && as_bytes) {
    bytes.data = as_bytes;
  } else if (element->getUint16Array(as_words).good() && as_words) {
    bytes.data = reinterpret_cast<const std::uint8_t*>(as_words);
  } else {
    fail(ErrorKind::truncated, path, "pixel data cannot be read (truncated file?)");
  }
  return bytes;
}

template <typename Word>
void stored_values(const std::uint8_t* bytes, size_t count, const DicomMetadata& meta,
                   std::vector<std::int32_t>& out) {
  const int shift = meta.high_bit + 1 - meta.bits_stored;
  const std::uint32_t mask =
      meta.bits_stored >= 32 ? 0xffffffffu : ((std::uint32_t{1} << meta.bits_stored) - 1);
  const std::uint32_t sign_bit = std::uint32_t{1} << (meta.bits_stored - 1);
  const bool is_signed = meta.pixel_representation == 1;
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Word word;
    std::memcpy(&word, bytes + i * sizeof(Word), sizeof(Word));
    std::uint32_t value = (static_cast<std::uint32_t>(word) >> shift) & mask;
    if (is_signed && (value & sign_bit))
      out[i] = static_cast<std::int32_t>(value) - static_cast<std::int32_t>(mask) - 1;
    else
      out[i] = static_cast<std::int32_t>(value);
  }
}

struct PaddingRange {
  std::int32_t low = 0;
  std::int32_t high = -1;  // empty when high < low
  bool contains(std::int32_t v) const { return v >= low && v <= high; }
};

PaddingRange padding_range(DcmDataset& dataset) {
  PaddingRange range;
  const auto value = get_integer(dataset, DCM_PixelPaddingValue);
  if (!value) return range;
  const auto limit = get_integer(dataset, DCM_PixelPaddingRangeLimit);
  range.low = static_cast<std::int32_t>(std::min(*value, limit.value_or(*value)));
  range.high = static_cast<std::int32_t>(std::max(*value, limit.value_or(*value)));
  return range;
}

}  // namespace

bool needs_rsna_intercept_fix(int bits_stored, int pixel_representation, double intercept) {
  return bits_stored == 12 && pixel_representation == 0 && intercept > -100.0;
}

int rsna_fixed_stored_value(int stored_value) {
  const int shifted = stored_value + 1000;
  return shifted >= 4096 ? shifted - 4096 : shifted;
}

DicomMetadata read_dicom_metadata(const std::filesystem::path& path) {
  DcmFileFormat file;
  load_file(file, path, 4096);
  return read_metadata(*file.getDataset(), path);
}

HuImage read_dicom_hu(const std::filesystem::path& path) {
  DcmFileFormat file;
  load_file(file, path, 0);
  DcmDataset& dataset = *file.getDataset();
  HuImage image;
  image.metadata = read_metadata(dataset, path);
  DicomMetadata& meta = image.metadata;
  decode_transfer_syntax(dataset, path);

  const size_t pixel_count = static_cast<size_t>(meta.rows) * meta.columns;
  const size_t word_bytes = meta.bits_allocated / 8;
  const PixelBytes bytes = pixel_bytes(dataset, meta.bits_allocated, path);
  if (bytes.size_bytes < pixel_count * word_bytes)
    fail(ErrorKind::truncated, path,
         "pixel data holds " + std::to_string(bytes.size_bytes) + " bytes, the image needs " +
             std::to_string(pixel_count * word_bytes));

  std::vector<std::int32_t> stored;
  if (word_bytes == 1)
    stored_values<std::uint8_t>(bytes.data, pixel_count, meta, stored);
  else
    stored_values<std::uint16_t>(bytes.data, pixel_count, meta, stored);

  double intercept = meta.rescale_intercept;
  const double slope = meta.rescale_slope;
  meta.rsna_intercept_fixed =
      needs_rsna_intercept_fix(meta.bits_stored, meta.pixel_representation, intercept);
  const PaddingRange padding = padding_range(dataset);
  std::vector<bool> padded(pixel_count, false);
  for (size_t i = 0; i < pixel_count; ++i) padded[i] = padding.contains(stored[i]);
  if (meta.rsna_intercept_fixed) {
    for (auto& value : stored) value = rsna_fixed_stored_value(value);
    intercept = -1000.0;
  }

  image.rows = meta.rows;
  image.columns = meta.columns;
  image.hu.resize(pixel_count);
  for (size_t i = 0; i < pixel_count; ++i)
    image.hu[i] = static_cast<float>(stored[i] * slope + intercept);

  if (meta.photometric_interpretation == "MONOCHROME1") {
    const double stored_min =
        meta.pixel_representation == 1 ? -std::ldexp(1.0, meta.bits_stored - 1) : 0.0;
    const double stored_max = stored_min + std::ldexp(1.0, meta.bits_stored) - 1.0;
    const double range_sum = (stored_min + stored_max) * slope + 2.0 * intercept;
    for (auto& value : image.hu) value = static_cast<float>(range_sum - value);
  }

  float lowest_real = std::numeric_limits<float>::max();
  bool any_padded = false;
  for (size_t i = 0; i < pixel_count; ++i) {
    if (padded[i])
      any_padded = true;
    else
      lowest_real = std::min(lowest_real, image.hu[i]);
  }
  if (any_padded) {
    if (lowest_real == std::numeric_limits<float>::max()) lowest_real = image.hu[0];
    for (size_t i = 0; i < pixel_count; ++i)
      if (padded[i]) image.hu[i] = lowest_real;
  }
  return image;
}

}  // namespace ihd::data
