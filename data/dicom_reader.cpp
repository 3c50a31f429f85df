// DICOM -> HU through DCMTK's dcmdata and its decompression codecs. See dicom_reader.h for the
// order of the checks and of the conversion steps; the pixel arithmetic is done here by hand (not
// by dcmimgle) so that the RSNA fix, which needs the raw stored values, sits in plain sight.
#include "data/dicom_reader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>

#include "common/error.h"
#include "data/dicom_structure.h"
#include "data/jpeg2000.h"

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

// Values longer than this stay on disk until they are asked for (DCMTK's lazy loading), so that
// the pixel data is read only after the header passed every check.
constexpr Uint32 lazy_value_bytes = 4096;

// Uncompressed PixelData may be this much longer than the header declares (trailing padding).
constexpr std::uint64_t pixel_padding_tolerance_bytes = std::uint64_t{1} << 20;

// Checks the file's structure, then lets DCMTK parse it.
void load_file(DcmFileFormat& file, const std::filesystem::path& path, const DicomLimits& limits) {
  register_dcmtk_codecs_once();
  std::error_code size_error;
  const auto size_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) fail(ErrorKind::unreadable, path, "cannot open: " + size_error.message());
  if (size_bytes == 0) fail(ErrorKind::empty_file, path, "empty file");
  check_dicom_structure(path, limits.max_decoded_bytes);
  const OFCondition status =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, lazy_value_bytes, ERM_autoDetect);
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

// An integer written as text (IS, DS, or any other string VR): surrounding spaces allowed, values
// beyond 64 bits saturate; nullopt when it is not an integer.
std::optional<std::int64_t> parse_integer(std::string text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(' ') - first + 1);
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (stop == end && error == std::errc::result_out_of_range)
    return text[0] == '-' ? std::numeric_limits<std::int64_t>::min()
                          : std::numeric_limits<std::int64_t>::max();
  if (stop == end && error == std::errc()) return value;
  char* double_end = nullptr;
  const double as_double = std::strtod(text.c_str(), &double_end);
  if (double_end != text.c_str() + text.size() || !std::isfinite(as_double) ||
      as_double != std::floor(as_double))
    return std::nullopt;
  if (as_double >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (as_double <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(as_double);
}

// An integer attribute as stored, whatever its VR (US, SS, UL, SL, or text such as IS): nullopt
// when absent, empty or not a number.
std::optional<std::int64_t> get_integer(DcmItem& item, const DcmTagKey& tag) {
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || element == nullptr || element->getLength() == 0)
    return std::nullopt;
  switch (element->ident()) {
    case EVR_US: {
      Uint16 value = 0;
      if (element->getUint16(value).good()) return value;
      return std::nullopt;
    }
    case EVR_SS: {
      Sint16 value = 0;
      if (element->getSint16(value).good()) return value;
      return std::nullopt;
    }
    case EVR_UL: {
      Uint32 value = 0;
      if (element->getUint32(value).good()) return value;
      return std::nullopt;
    }
    case EVR_SL: {
      Sint32 value = 0;
      if (element->getSint32(value).good()) return value;
      return std::nullopt;
    }
    default: {
      OFString text;
      if (element->getOFString(text, 0).bad()) return std::nullopt;
      return parse_integer(text.c_str());
    }
  }
}

// Narrows a value already checked to lie in int's range, or clamps one that carries no size.
int to_int(std::int64_t value) {
  return static_cast<int>(std::clamp<std::int64_t>(value, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
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

// Rows or Columns: at least 1, at most the limit.
int checked_side(const char* name, std::int64_t value, const DicomLimits& limits,
                 const std::filesystem::path& path) {
  if (value < 1)
    fail(ErrorKind::bad_value, path,
         std::string(name) + " " + std::to_string(value) + ": an image needs at least 1");
  if (value > limits.max_rows_or_columns)
    fail(ErrorKind::too_large, path,
         std::string(name) + " " + std::to_string(value) + " exceeds the limit of " +
             std::to_string(limits.max_rows_or_columns) + " (raise it with --max-image-side)");
  return static_cast<int>(value);
}

// What the header says the pixel data decodes to, all frames: at most the limit.
std::uint64_t checked_pixel_data_bytes(int rows, int columns, std::int64_t frames,
                                       int bytes_per_sample, const DicomLimits& limits,
                                       const std::filesystem::path& path) {
  std::uint64_t bytes = 0;
  const bool overflow =
      __builtin_mul_overflow(static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(columns),
                             &bytes) ||
      __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(frames), &bytes) ||
      __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(bytes_per_sample), &bytes);
  if (overflow || bytes > limits.max_decoded_bytes)
    fail(ErrorKind::too_large, path,
         "the pixel data would decode to " +
             (overflow ? std::string("more than 2^64") : std::to_string(bytes)) + " bytes (" +
             std::to_string(rows) + " x " + std::to_string(columns) + " x " +
             std::to_string(frames) + " frames x " + std::to_string(bytes_per_sample) +
             " bytes), more than " + decoded_bytes_limit_text(limits.max_decoded_bytes));
  return bytes;
}

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

void check_finite(const char* name, double value, const std::filesystem::path& path) {
  if (!std::isfinite(value))
    fail(ErrorKind::bad_value, path,
         std::string(name) + " is " + std::to_string(value) + ", not a finite number");
}

// Overrides what `item` holds of ImagePositionPatient, ImageOrientationPatient, PixelSpacing,
// RescaleSlope and RescaleIntercept in `geometry`: a value that is present but malformed counts
// as absent; a rescale value that is not finite is refused (bad_value); a slope of 0 counts as 1.
void read_geometry(DcmItem& item, FrameGeometry& geometry, const std::filesystem::path& path) {
  if (item.tagExists(DCM_ImagePositionPatient)) {
    const auto position = get_doubles(item, DCM_ImagePositionPatient);
    geometry.has_image_position = position.size() == 3 && all_finite(position);
    if (geometry.has_image_position)
      std::copy(position.begin(), position.end(), geometry.image_position_patient_mm.begin());
  }
  if (item.tagExists(DCM_ImageOrientationPatient)) {
    const auto orientation = get_doubles(item, DCM_ImageOrientationPatient);
    geometry.has_image_orientation = orientation.size() == 6 && all_finite(orientation);
    if (geometry.has_image_orientation)
      std::copy(orientation.begin(), orientation.end(), geometry.image_orientation_patient.begin());
  }
  const auto spacing = get_doubles(item, DCM_PixelSpacing);
  if (spacing.size() == 2)
    std::copy(spacing.begin(), spacing.end(), geometry.pixel_spacing_mm.begin());
  const auto slope = get_doubles(item, DCM_RescaleSlope);
  const auto intercept = get_doubles(item, DCM_RescaleIntercept);
  if (!slope.empty()) {
    check_finite("RescaleSlope", slope[0], path);
    geometry.rescale_slope = slope[0] != 0.0 ? slope[0] : 1.0;
  }
  if (!intercept.empty()) {
    check_finite("RescaleIntercept", intercept[0], path);
    geometry.rescale_intercept = intercept[0];
  }
}

void apply_geometry(const FrameGeometry& geometry, DicomMetadata& meta) {
  meta.has_image_position = geometry.has_image_position;
  meta.image_position_patient_mm = geometry.image_position_patient_mm;
  meta.has_image_orientation = geometry.has_image_orientation;
  meta.image_orientation_patient = geometry.image_orientation_patient;
  meta.pixel_spacing_mm = geometry.pixel_spacing_mm;
  meta.rescale_slope = geometry.rescale_slope;
  meta.rescale_intercept = geometry.rescale_intercept;
}

// The functional groups that carry a frame's geometry and rescale (Enhanced CT).
const std::array<DcmTagKey, 4> geometry_groups{
    DCM_PlanePositionSequence, DCM_PlaneOrientationSequence, DCM_PixelMeasuresSequence,
    DCM_PixelValueTransformationSequence};

// Each frame's geometry from the per-frame functional groups, else the shared ones, else `top`
// (the top-level values), into meta.frame_geometry; frame 0's into meta's own fields. Nothing
// when the file has no functional groups.
void read_frame_geometry(DcmDataset& dataset, const FrameGeometry& top, DicomMetadata& meta,
                         const std::filesystem::path& path) {
  DcmSequenceOfItems* per_frame = nullptr;
  DcmItem* shared = nullptr;
  if (dataset.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame).bad())
    per_frame = nullptr;
  if (dataset.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).bad())
    shared = nullptr;
  if (per_frame == nullptr && shared == nullptr) return;
  if (per_frame != nullptr && per_frame->card() != static_cast<unsigned long>(meta.frames))
    fail(ErrorKind::bad_value, path,
         "PerFrameFunctionalGroupsSequence has " + std::to_string(per_frame->card()) +
             " items for NumberOfFrames " + std::to_string(meta.frames));
  FrameGeometry shared_geometry = top;
  for (const DcmTagKey& group : geometry_groups) {
    DcmItem* item = nullptr;
    if (shared != nullptr && shared->findAndGetSequenceItem(group, item, 0).good() && item)
      read_geometry(*item, shared_geometry, path);
  }
  meta.frame_geometry.reserve(static_cast<size_t>(meta.frames));
  DcmObject* frame_item = nullptr;
  for (int frame = 0; frame < meta.frames; ++frame) {
    FrameGeometry geometry = shared_geometry;
    if (per_frame != nullptr) {
      frame_item = per_frame->nextInContainer(frame_item);
      auto* item = dynamic_cast<DcmItem*>(frame_item);
      for (const DcmTagKey& group : geometry_groups) {
        DcmItem* group_item = nullptr;
        if (item != nullptr && item->findAndGetSequenceItem(group, group_item, 0).good() &&
            group_item)
          read_geometry(*group_item, geometry, path);
      }
    }
    meta.frame_geometry.push_back(geometry);
  }
  apply_geometry(meta.frame_geometry.front(), meta);
}

DicomMetadata read_metadata(DcmDataset& dataset, const DicomLimits& limits,
                            const std::filesystem::path& path) {
  DicomMetadata meta;
  meta.patient_id = get_string(dataset, DCM_PatientID);
  meta.study_instance_uid = get_string(dataset, DCM_StudyInstanceUID);
  meta.series_instance_uid = get_string(dataset, DCM_SeriesInstanceUID);
  meta.sop_instance_uid = get_string(dataset, DCM_SOPInstanceUID);
  meta.modality = get_string(dataset, DCM_Modality);
  meta.photometric_interpretation = get_string(dataset, DCM_PhotometricInterpretation);
  meta.transfer_syntax_uid = DcmXfer(dataset.getOriginalXfer()).getXferID();
  if (const auto instance = get_integer(dataset, DCM_InstanceNumber)) {
    meta.has_instance_number = true;
    meta.instance_number = static_cast<long>(*instance);
  }
  meta.window_centers = get_doubles(dataset, DCM_WindowCenter);
  meta.window_widths = get_doubles(dataset, DCM_WindowWidth);

  const auto rows = get_integer(dataset, DCM_Rows);
  const auto columns = get_integer(dataset, DCM_Columns);
  if (!rows || !columns || !dataset.tagExists(DCM_PixelData))
    fail(ErrorKind::no_pixel_data, path, "no image (Rows, Columns or PixelData missing)");
  meta.rows = checked_side("Rows", *rows, limits, path);
  meta.columns = checked_side("Columns", *columns, limits, path);
  const std::int64_t frames = get_integer(dataset, DCM_NumberOfFrames).value_or(1);
  if (frames < 1)
    fail(ErrorKind::bad_value, path,
         "NumberOfFrames " + std::to_string(frames) + ": an image has at least one frame");
  const std::int64_t bits_allocated = get_integer(dataset, DCM_BitsAllocated).value_or(0);
  const std::int64_t bits_stored = get_integer(dataset, DCM_BitsStored).value_or(bits_allocated);
  const std::int64_t high_bit = get_integer(dataset, DCM_HighBit).value_or(bits_stored - 1);
  meta.pixel_representation = to_int(get_integer(dataset, DCM_PixelRepresentation).value_or(0));

  const std::int64_t samples_per_pixel = get_integer(dataset, DCM_SamplesPerPixel).value_or(1);
  if (samples_per_pixel != 1)
    fail(ErrorKind::unsupported_pixel_format, path,
         "colour image (SamplesPerPixel " + std::to_string(samples_per_pixel) +
             "), expected greyscale");
  if (bits_allocated != 8 && bits_allocated != 16)
    fail(ErrorKind::unsupported_pixel_format, path,
         "unsupported BitsAllocated " + std::to_string(bits_allocated) + " (need 8 or 16)");
  if (bits_stored < 1 || bits_stored > bits_allocated || high_bit < bits_stored - 1 ||
      high_bit >= bits_allocated)
    fail(ErrorKind::unsupported_pixel_format, path,
         "inconsistent BitsStored " + std::to_string(bits_stored) + " / HighBit " +
             std::to_string(high_bit));
  meta.bits_allocated = static_cast<int>(bits_allocated);
  meta.bits_stored = static_cast<int>(bits_stored);
  meta.high_bit = static_cast<int>(high_bit);

  meta.pixel_data_bytes = checked_pixel_data_bytes(meta.rows, meta.columns, frames,
                                                   meta.bits_allocated / 8, limits, path);
  if (frames > limits.max_frames)
    fail(ErrorKind::too_large, path,
         "NumberOfFrames " + std::to_string(frames) + " exceeds the limit of " +
             std::to_string(limits.max_frames) + " frames");
  meta.frames = static_cast<int>(frames);

  FrameGeometry top;
  read_geometry(dataset, top, path);
  apply_geometry(top, meta);
  read_frame_geometry(dataset, top, meta, path);
  return meta;
}

// Decompresses encapsulated pixel data in place through DCMTK's codecs, or explains why it cannot
// (JPEG 2000 goes through decode_jpeg2000_frame instead).
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

// Uncompressed pixel data longer than the header declares (beyond a little padding) is refused
// before DCMTK reads it from the file.
PixelBytes pixel_bytes(DcmDataset& dataset, const DicomMetadata& meta,
                       const std::filesystem::path& path) {
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr)
    fail(ErrorKind::no_pixel_data, path, "no PixelData element");
  PixelBytes bytes;
  bytes.size_bytes = element->getLength();
  const std::uint64_t declared_even = (meta.pixel_data_bytes + 1) & ~std::uint64_t{1};
  if (!DcmXfer(dataset.getOriginalXfer()).isEncapsulated() &&
      bytes.size_bytes > declared_even + pixel_padding_tolerance_bytes)
    fail(ErrorKind::too_large, path,
         "PixelData holds " + std::to_string(bytes.size_bytes) + " bytes, more than the " +
             std::to_string(meta.pixel_data_bytes) +
             " the header declares (Rows x Columns x frames x bytes) plus 1 MiB of padding");
  Uint8* as_bytes = nullptr;
  Uint16* as_words = nullptr;
  const bool words_first = meta.bits_allocated == 16;
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

bool is_jpeg2000(E_TransferSyntax xfer) {
  return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000;
}

// Encapsulated pixel data: its fragments (the basic offset table, item 0, left out) and the
// first fragment of each frame.
struct EncapsulatedFrames {
  std::vector<std::pair<const Uint8*, size_t>> fragments;
  std::vector<size_t> first_fragment;  // per frame, then fragments.size()

  std::vector<std::uint8_t> joined(int frame) const {
    std::vector<std::uint8_t> bytes;
    for (size_t i = first_fragment[frame]; i < first_fragment[frame + 1]; ++i)
      bytes.insert(bytes.end(), fragments[i].first, fragments[i].first + fragments[i].second);
    return bytes;
  }
};

// True when a fragment ends a JPEG 2000 codestream: its last bytes are the end-of-codestream
// marker FF D9 (followed by at most one padding byte, fragments being of even length).
bool ends_codestream(const std::pair<const Uint8*, size_t>& fragment) {
  const auto [bytes, size] = fragment;
  size_t end = size;
  if (end > 0 && bytes[end - 1] == 0) --end;
  return end >= 2 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9;
}

// Which fragments make each frame: all of them for one frame; else the basic offset table's
// entries (each frame's first byte, counted from the first fragment's item header), else one
// fragment per frame, else a frame ending at each fragment that ends a codestream.
EncapsulatedFrames encapsulated_frames(DcmDataset& dataset, const DicomMetadata& meta,
                                       const std::filesystem::path& path) {
  DcmElement* element = nullptr;
  DcmPixelSequence* sequence = nullptr;
  auto* pixel_data = dataset.findAndGetElement(DCM_PixelData, element).good()
                         ? dynamic_cast<DcmPixelData*>(element)
                         : nullptr;
  if (pixel_data == nullptr ||
      pixel_data->getEncapsulatedRepresentation(dataset.getOriginalXfer(), nullptr, sequence)
          .bad() ||
      sequence == nullptr || sequence->card() < 2)
    fail(ErrorKind::no_pixel_data, path, "encapsulated PixelData holds no fragments");
  // fragment(i): the bytes of item i (item 0 is the basic offset table).
  auto fragment = [&](unsigned long i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (sequence->getItem(item, i).bad() || item == nullptr ||
        (item->getLength() > 0 && (item->getUint8Array(bytes).bad() || bytes == nullptr)))
      fail(ErrorKind::truncated, path, "a PixelData fragment cannot be read (truncated file?)");
    return std::pair<const Uint8*, size_t>(bytes, item->getLength());
  };
  EncapsulatedFrames frames;
  for (unsigned long i = 1; i < sequence->card(); ++i) frames.fragments.push_back(fragment(i));
  const size_t fragment_count = frames.fragments.size();
  const auto frame_count = static_cast<size_t>(meta.frames);
  const std::string counts =
      std::to_string(frame_count) + " frames in " + std::to_string(fragment_count) + " fragments";
  frames.first_fragment.push_back(0);
  if (frame_count > 1) {
    const auto [table, table_bytes] = fragment(0);
    if (table_bytes > 0) {
      if (table_bytes < 4 * frame_count)
        fail(ErrorKind::bad_value, path,
             "the basic offset table has " + std::to_string(table_bytes / 4) + " entries for " +
                 std::to_string(frame_count) + " frames");
      std::uint64_t position = 0;  // of fragment i's item header, as the table counts
      size_t next = 0;
      for (size_t frame = 1; frame < frame_count; ++frame) {
        const std::uint64_t offset =
            std::uint64_t{table[4 * frame]} | std::uint64_t{table[4 * frame + 1]} << 8 |
            std::uint64_t{table[4 * frame + 2]} << 16 | std::uint64_t{table[4 * frame + 3]} << 24;
        while (next < fragment_count && position < offset) {
          position += 8 + frames.fragments[next].second;
          ++next;
        }
        if (position != offset || next <= frames.first_fragment.back() || next == fragment_count)
          fail(ErrorKind::bad_value, path,
               "the basic offset table's entry for frame " + std::to_string(frame + 1) +
                   " does not start a fragment after the previous frame's (" + counts + ")");
        frames.first_fragment.push_back(next);
      }
    } else if (fragment_count == frame_count) {
      for (size_t frame = 1; frame < frame_count; ++frame) frames.first_fragment.push_back(frame);
    } else {
      for (size_t i = 0; i + 1 < fragment_count; ++i)
        if (ends_codestream(frames.fragments[i])) frames.first_fragment.push_back(i + 1);
      if (frames.first_fragment.size() != frame_count)
        fail(ErrorKind::unsupported_pixel_format, path,
             counts + " without an offset table, and their end-of-codestream markers make " +
                 std::to_string(frames.first_fragment.size()) + " frames");
    }
  }
  frames.first_fragment.push_back(fragment_count);
  return frames;
}

// JPEG 2000: one frame's codestream through OpenJPEG, its samples written into `words` as the
// stored words of an uncompressed image (BitsAllocated wide, BitsStored bits ending at HighBit).
void decode_jpeg2000_frame(const std::vector<std::uint8_t>& codestream, const DicomMetadata& meta,
                           const std::filesystem::path& path, std::vector<std::uint8_t>& words) {
  Jpeg2000Frame frame;
  try {
    frame = decode_jpeg2000(codestream.data(), codestream.size(), meta.rows, meta.columns);
  } catch (const Error& error) {
    fail(ErrorKind::bad_image, path, error.what());
  }
  const bool is_signed = meta.pixel_representation == 1;
  const std::int64_t lowest = is_signed ? -(std::int64_t{1} << (meta.bits_stored - 1)) : 0;
  const std::int64_t highest = lowest + (std::int64_t{1} << meta.bits_stored) - 1;
  const int shift = meta.high_bit + 1 - meta.bits_stored;
  const std::uint32_t mask = (std::uint32_t{1} << meta.bits_stored) - 1;
  const size_t word_bytes = static_cast<size_t>(meta.bits_allocated / 8);
  words.assign(frame.samples.size() * word_bytes, 0);
  for (size_t i = 0; i < frame.samples.size(); ++i) {
    const std::int32_t sample = frame.samples[i];
    if (sample < lowest || sample > highest)
      fail(ErrorKind::bad_value, path,
           "JPEG 2000 sample " + std::to_string(sample) + " does not fit BitsStored " +
               std::to_string(meta.bits_stored) + (is_signed ? " (signed)" : " (unsigned)"));
    const std::uint32_t word = (static_cast<std::uint32_t>(sample) & mask) << shift;
    if (word_bytes == 1) {
      words[i] = static_cast<std::uint8_t>(word);
    } else {
      const auto word16 = static_cast<std::uint16_t>(word);
      std::memcpy(words.data() + 2 * i, &word16, 2);
    }
  }
}

// Stored words -> values: BitsStored bits ending at HighBit, sign-extended when
// PixelRepresentation is 1 (x ^ sign - sign, with sign the top stored bit or 0). A plain loop
// over words of one width, so that the compiler vectorises it.
template <typename Word>
void stored_values(const std::uint8_t* bytes, size_t count, const DicomMetadata& meta,
                   std::int32_t* values) {
  const int shift = meta.high_bit + 1 - meta.bits_stored;
  const auto mask = static_cast<std::int32_t>((std::uint32_t{1} << meta.bits_stored) - 1);
  const std::int32_t sign =
      meta.pixel_representation == 1 ? std::int32_t{1} << (meta.bits_stored - 1) : 0;
  for (size_t i = 0; i < count; ++i) {
    Word word;
    std::memcpy(&word, bytes + i * sizeof(Word), sizeof(Word));
    const std::int32_t value = (static_cast<std::int32_t>(word) >> shift) & mask;
    values[i] = (value ^ sign) - sign;
  }
}

struct PaddingRange {
  std::int64_t low = 0;
  std::int64_t high = -1;  // empty when high < low
  bool contains(std::int64_t v) const { return v >= low && v <= high; }
};

PaddingRange padding_range(DcmDataset& dataset) {
  PaddingRange range;
  const auto value = get_integer(dataset, DCM_PixelPaddingValue);
  if (!value) return range;
  const auto limit = get_integer(dataset, DCM_PixelPaddingRangeLimit);
  range.low = std::min(*value, limit.value_or(*value));
  range.high = std::max(*value, limit.value_or(*value));
  return range;
}

}  // namespace

bool needs_rsna_intercept_fix(int bits_stored, int pixel_representation, double intercept) {
  return bits_stored == 12 && pixel_representation == 0 && intercept > -100.0;
}

DicomMetadata read_dicom_metadata(const std::filesystem::path& path, const DicomLimits& limits) {
  DcmFileFormat file;
  load_file(file, path, limits);
  return read_metadata(*file.getDataset(), limits, path);
}

namespace {

// One frame's stored words (pixels of `meta`'s size at `bytes`) -> HU, with the frame's rescale.
// Each step is its own loop over the image (values, padding flags when the file has a padding
// range, HU), so that each vectorises; `values` and `padded` are this thread's, reused.
HuImage hu_of_frame(const std::uint8_t* bytes, DicomMetadata meta, const PaddingRange& padding) {
  const size_t pixel_count = static_cast<size_t>(meta.rows) * meta.columns;
  double intercept = meta.rescale_intercept;
  const double slope = meta.rescale_slope;
  meta.rsna_intercept_fixed =
      needs_rsna_intercept_fix(meta.bits_stored, meta.pixel_representation, intercept);
  if (meta.rsna_intercept_fixed) intercept = -1000.0;
  thread_local std::vector<std::int32_t> values;
  thread_local std::vector<std::uint8_t> padded;
  values.resize(pixel_count);
  if (meta.bits_allocated == 8)
    stored_values<std::uint8_t>(bytes, pixel_count, meta, values.data());
  else
    stored_values<std::uint16_t>(bytes, pixel_count, meta, values.data());
  const bool has_padding = padding.high >= padding.low;
  if (has_padding) {
    padded.resize(pixel_count);
    for (size_t i = 0; i < pixel_count; ++i) padded[i] = padding.contains(values[i]);
  }
  if (meta.rsna_intercept_fixed) {
    for (size_t i = 0; i < pixel_count; ++i) values[i] = rsna_fixed_stored_value(values[i]);
  }
  HuImage image;
  image.rows = meta.rows;
  image.columns = meta.columns;
  image.hu.resize(pixel_count);
  for (size_t i = 0; i < pixel_count; ++i)
    image.hu[i] = static_cast<float>(values[i] * slope + intercept);

  if (meta.photometric_interpretation == "MONOCHROME1") {
    const double stored_min =
        meta.pixel_representation == 1 ? -std::ldexp(1.0, meta.bits_stored - 1) : 0.0;
    const double stored_max = stored_min + std::ldexp(1.0, meta.bits_stored) - 1.0;
    const double range_sum = (stored_min + stored_max) * slope + 2.0 * intercept;
    for (auto& value : image.hu) value = static_cast<float>(range_sum - value);
  }

  if (has_padding) {
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
  }
  image.metadata = std::move(meta);
  return image;
}

// Decodes the first `wanted` frames (at most the file's) and gives each to `each_frame`.
void decode_frames(const std::filesystem::path& path, const DicomLimits& limits, int wanted,
                   const std::function<void(HuImage&&)>& each_frame) {
  DcmFileFormat file;
  load_file(file, path, limits);
  DcmDataset& dataset = *file.getDataset();
  const DicomMetadata meta = read_metadata(dataset, limits, path);
  const int frames = std::min(wanted, meta.frames);
  const PaddingRange padding = padding_range(dataset);
  const size_t frame_bytes =
      static_cast<size_t>(meta.rows) * meta.columns * (meta.bits_allocated / 8);

  if (is_jpeg2000(DcmXfer(dataset.getOriginalXfer()).getXfer())) {
    const EncapsulatedFrames encapsulated = encapsulated_frames(dataset, meta, path);
    std::vector<std::uint8_t> words;
    for (int frame = 0; frame < frames; ++frame) {
      decode_jpeg2000_frame(encapsulated.joined(frame), meta, path, words);
      each_frame(hu_of_frame(words.data(), metadata_of_frame(meta, frame), padding));
    }
    return;
  }
  decode_transfer_syntax(dataset, path);
  const PixelBytes bytes = pixel_bytes(dataset, meta, path);
  if (bytes.size_bytes < frame_bytes * frames)
    fail(ErrorKind::truncated, path,
         "pixel data holds " + std::to_string(bytes.size_bytes) + " bytes, " +
             (frames == 1 ? std::string("the image needs ")
                          : std::to_string(frames) + " frames need ") +
             std::to_string(frame_bytes * frames));
  for (int frame = 0; frame < frames; ++frame)
    each_frame(
        hu_of_frame(bytes.data + frame_bytes * frame, metadata_of_frame(meta, frame), padding));
}

}  // namespace

DicomMetadata metadata_of_frame(const DicomMetadata& file, int frame) {
  DicomMetadata meta = file;
  meta.frame_geometry.clear();
  meta.frame = frame;
  if (static_cast<size_t>(frame) < file.frame_geometry.size())
    apply_geometry(file.frame_geometry[frame], meta);
  return meta;
}

HuImage read_dicom_hu(const std::filesystem::path& path, const DicomLimits& limits) {
  HuImage image;
  decode_frames(path, limits, 1, [&](HuImage&& frame) { image = std::move(frame); });
  return image;
}

void read_dicom_hu_frames(const std::filesystem::path& path, const DicomLimits& limits,
                          const std::function<void(HuImage&&)>& each_frame) {
  decode_frames(path, limits, std::numeric_limits<int>::max(), each_frame);
}

}  // namespace ihd::data
