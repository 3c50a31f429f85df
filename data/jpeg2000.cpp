// decode_jpeg2000: OpenJPEG over a memory stream, with its messages gathered for the error.
#include "data/jpeg2000.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace ihd::data {
namespace {

// The bytes OpenJPEG reads, and where it is in them.
struct MemoryStream {
  const std::uint8_t* bytes;
  std::size_t size;
  std::size_t position = 0;
};

OPJ_SIZE_T read_bytes(void* buffer, OPJ_SIZE_T count, void* user) {
  auto& stream = *static_cast<MemoryStream*>(user);
  const std::size_t left = stream.size - stream.position;
  if (left == 0) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's "end of stream"
  const std::size_t n = std::min<std::size_t>(count, left);
  std::memcpy(buffer, stream.bytes + stream.position, n);
  stream.position += n;
  return n;
}

OPJ_OFF_T skip_bytes(OPJ_OFF_T count, void* user) {
  auto& stream = *static_cast<MemoryStream*>(user);
  const auto target = static_cast<OPJ_OFF_T>(stream.position) + count;
  if (target < 0 || target > static_cast<OPJ_OFF_T>(stream.size)) return -1;
  stream.position = static_cast<std::size_t>(target);
  return count;
}

OPJ_BOOL seek_to(OPJ_OFF_T offset, void* user) {
  auto& stream = *static_cast<MemoryStream*>(user);
  if (offset < 0 || offset > static_cast<OPJ_OFF_T>(stream.size)) return OPJ_FALSE;
  stream.position = static_cast<std::size_t>(offset);
  return OPJ_TRUE;
}

// OpenJPEG's error messages, the last one kept (they end in a newline).
void keep_message(const char* message, void* user) {
  std::string& kept = *static_cast<std::string*>(user);
  kept = message;
  while (!kept.empty() && (kept.back() == '\n' || kept.back() == ' ')) kept.pop_back();
}
void ignore_message(const char*, void*) {}

struct CodecDeleter {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct ImageDeleter {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};

// A JP2 file starts with its signature box; anything else is taken for a raw codestream.
bool is_jp2_file(const std::uint8_t* bytes, std::size_t size) {
  static constexpr std::uint8_t signature[] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' '};
  return size >= sizeof signature && std::memcmp(bytes, signature, sizeof signature) == 0;
}

std::uint32_t big_endian(const std::uint8_t* bytes, int count) {
  std::uint32_t value = 0;
  for (int i = 0; i < count; ++i) value = value << 8 | bytes[i];
  return value;
}

// Where the codestream starts: at 0, or in a JP2 file after the header of its contiguous
// codestream box ('jp2c'), found within its first 64 boxes.
std::size_t codestream_offset(const std::uint8_t* bytes, std::size_t size) {
  if (!is_jp2_file(bytes, size)) return 0;
  std::size_t at = 0;
  for (int box = 0; box < 64 && size - at >= 8; ++box) {
    std::uint64_t length = big_endian(bytes + at, 4);
    std::size_t header = 8;
    if (length == 1) {
      IHD_CHECK_INPUT(size - at >= 16, "JPEG 2000 file: a box header is cut short");
      length = std::uint64_t{big_endian(bytes + at + 8, 4)} << 32 | big_endian(bytes + at + 12, 4);
      header = 16;
    }
    if (std::memcmp(bytes + at + 4, "jp2c", 4) == 0) return at + header;
    IHD_CHECK_INPUT(length >= header && length <= size - at,
                    "JPEG 2000 file: a box runs past the end of the data");
    at += static_cast<std::size_t>(length);
  }
  throw Error("JPEG 2000 file: no codestream box among its first boxes");
}

// The codestream's SIZ segment, read by hand before OpenJPEG sees it: OpenJPEG allocates a
// structure per tile while it reads the header, so a crafted tile grid (tens of thousands of
// tiles) costs hundreds of MB before any check of ours could run. The image must be `columns` x
// `rows` of one component, in at most kMaxTiles tiles (a CT slice uses one).
void check_image_size(const std::uint8_t* bytes, std::size_t size, int rows, int columns) {
  constexpr std::uint64_t kMaxTiles = 4096;
  const std::size_t at = codestream_offset(bytes, size);
  // SOC, SIZ marker, Lsiz, Rsiz, 8 sizes of 4 bytes, Csiz.
  IHD_CHECK_INPUT(size - at >= 4 + 2 + 2 + 32 + 2 && bytes[at] == 0xFF && bytes[at + 1] == 0x4F &&
                      bytes[at + 2] == 0xFF && bytes[at + 3] == 0x51,
                  "JPEG 2000 header: the codestream does not start with SOC and SIZ");
  const std::uint8_t* siz = bytes + at + 8;
  const std::uint64_t x_end = big_endian(siz, 4), y_end = big_endian(siz + 4, 4);
  const std::uint64_t x_origin = big_endian(siz + 8, 4), y_origin = big_endian(siz + 12, 4);
  const std::uint64_t tile_width = big_endian(siz + 16, 4), tile_height = big_endian(siz + 20, 4);
  const std::uint64_t tile_x = big_endian(siz + 24, 4), tile_y = big_endian(siz + 28, 4);
  const std::uint32_t components = big_endian(siz + 32, 2);
  const std::int64_t width = static_cast<std::int64_t>(x_end) - static_cast<std::int64_t>(x_origin);
  const std::int64_t height = static_cast<std::int64_t>(y_end) - static_cast<std::int64_t>(y_origin);
  IHD_CHECK_INPUT(width == columns && height == rows, "JPEG 2000 image is ", width, " x ", height,
                  ", the DICOM header says ", columns, " x ", rows);
  IHD_CHECK_INPUT(components == 1, "JPEG 2000 image has ", components,
                  " components, a CT slice one");
  IHD_CHECK_INPUT(tile_width > 0 && tile_height > 0 && tile_x <= x_origin && tile_y <= y_origin,
                  "JPEG 2000 header: an impossible tile grid");
  const std::uint64_t tiles = ((x_end - tile_x + tile_width - 1) / tile_width) *
                              ((y_end - tile_y + tile_height - 1) / tile_height);
  IHD_CHECK_INPUT(tiles <= kMaxTiles, "JPEG 2000 image in ", tiles, " tiles (at most ", kMaxTiles,
                  " are read)");
}

}  // namespace

Jpeg2000Frame decode_jpeg2000(const std::uint8_t* bytes, std::size_t size, int rows, int columns) {
  IHD_CHECK_INPUT(size > 0, "JPEG 2000 frame is empty");
  check_image_size(bytes, size, rows, columns);
  MemoryStream source{bytes, size};
  const std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(1 << 16, OPJ_TRUE));
  IHD_CHECK(stream != nullptr, "OpenJPEG could not make a stream");
  opj_stream_set_user_data(stream.get(), &source, nullptr);
  opj_stream_set_user_data_length(stream.get(), size);
  opj_stream_set_read_function(stream.get(), read_bytes);
  opj_stream_set_skip_function(stream.get(), skip_bytes);
  opj_stream_set_seek_function(stream.get(), seek_to);

  const std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(is_jp2_file(bytes, size) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  IHD_CHECK(codec != nullptr, "OpenJPEG could not make a decoder");
  std::string message = "damaged codestream";
  opj_set_error_handler(codec.get(), keep_message, &message);
  opj_set_warning_handler(codec.get(), ignore_message, nullptr);
  opj_set_info_handler(codec.get(), ignore_message, nullptr);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  IHD_CHECK(opj_setup_decoder(codec.get(), &parameters), "OpenJPEG refused its parameters");

  opj_image_t* header = nullptr;
  const bool header_read = opj_read_header(stream.get(), codec.get(), &header);
  const std::unique_ptr<opj_image_t, ImageDeleter> image(header);
  IHD_CHECK_INPUT(header_read && image != nullptr, "JPEG 2000 header: ", message);
  // What check_image_size read, as OpenJPEG read it.
  const long width = static_cast<long>(image->x1) - static_cast<long>(image->x0);
  const long height = static_cast<long>(image->y1) - static_cast<long>(image->y0);
  IHD_CHECK_INPUT(width == columns && height == rows && image->numcomps == 1,
                  "JPEG 2000 header: OpenJPEG reads another image size than its SIZ segment says");
  const opj_image_comp_t& header_component = image->comps[0];
  IHD_CHECK_INPUT(header_component.dx == 1 && header_component.dy == 1,
                  "JPEG 2000 component is subsampled");
  IHD_CHECK_INPUT(header_component.prec >= 1 && header_component.prec <= 16, "JPEG 2000 samples of ",
                  header_component.prec, " bits (at most 16 for a CT slice)");

  IHD_CHECK_INPUT(opj_decode(codec.get(), stream.get(), image.get()) &&
                      opj_end_decompress(codec.get(), stream.get()),
                  "JPEG 2000 data: ", message);
  const opj_image_comp_t& component = image->comps[0];
  IHD_CHECK_INPUT(component.data != nullptr && static_cast<long>(component.w) == width &&
                      static_cast<long>(component.h) == height,
                  "JPEG 2000 data: the decoded image is not ", width, " x ", height);
  Jpeg2000Frame frame;
  frame.rows = rows;
  frame.columns = columns;
  frame.precision = static_cast<int>(component.prec);
  frame.is_signed = component.sgnd != 0;
  frame.samples.assign(component.data,
                       component.data + static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns));
  return frame;
}

}  // namespace ihd::data
