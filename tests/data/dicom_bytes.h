// DICOM files built byte by byte, for tests that need files no writer would produce: sequences
// nested thousands deep, sizes that lie, deflate bombs. Elements are strings of bytes that
// concatenate: element() and its typed shorthands (us, ul, text), item() and sequence() with
// defined or undefined lengths, nested_sequences() for deep nesting, image_attributes() for the
// attributes a greyscale image needs, part10() for the preamble and meta group around a data set,
// and RawDeflater for a deflated data set (streaming, so that a test can build a file that
// inflates to gigabytes without holding them).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ihd::data::dicom_bytes {

inline constexpr std::uint32_t undefined_length = 0xFFFFFFFFu;
inline constexpr const char* explicit_little_uid = "1.2.840.10008.1.2.1";
inline constexpr const char* implicit_little_uid = "1.2.840.10008.1.2";
inline constexpr const char* explicit_big_uid = "1.2.840.10008.1.2.2";
inline constexpr const char* deflated_uid = "1.2.840.10008.1.2.1.99";

enum class Syntax { explicit_little, implicit_little, explicit_big };

struct Tag {
  std::uint16_t group;
  std::uint16_t element;
};
inline constexpr Tag rows_tag{0x0028, 0x0010};
inline constexpr Tag columns_tag{0x0028, 0x0011};
inline constexpr Tag pixel_data_tag{0x7FE0, 0x0010};
inline constexpr Tag sequence_tag{0x0008, 0x1140};  // ReferencedImageSequence: SQ in the dictionary

inline bool is_big_endian(Syntax syntax) {
  return syntax == Syntax::explicit_big;
}

inline std::string uint_bytes(std::uint64_t value, int count, bool big_endian) {
  std::string bytes(static_cast<size_t>(count), '\0');
  for (int i = 0; i < count; ++i)
    bytes[static_cast<size_t>(big_endian ? count - 1 - i : i)] =
        static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

inline std::string tag_bytes(Syntax syntax, Tag tag) {
  return uint_bytes(tag.group, 2, is_big_endian(syntax)) +
         uint_bytes(tag.element, 2, is_big_endian(syntax));
}

// Tag, VR (explicit syntaxes) and a length field that may say anything, undefined_length too.
inline std::string element_header(Syntax syntax, Tag tag, std::string_view vr,
                                  std::uint32_t length) {
  const bool big = is_big_endian(syntax);
  std::string bytes = tag_bytes(syntax, tag);
  if (syntax == Syntax::implicit_little) return bytes + uint_bytes(length, 4, big);
  bytes += vr;
  const bool long_length = vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" ||
                           vr == "UN" || vr == "UC" || vr == "UR" || vr == "OD" || vr == "OL";
  return bytes + (long_length ? std::string(2, '\0') + uint_bytes(length, 4, big)
                              : uint_bytes(length, 2, big));
}

inline std::string element(Syntax syntax, Tag tag, std::string_view vr, std::string_view value) {
  return element_header(syntax, tag, vr, static_cast<std::uint32_t>(value.size())) +
         std::string(value);
}

inline std::string us(Syntax syntax, Tag tag, std::uint16_t value) {
  return element(syntax, tag, "US", uint_bytes(value, 2, is_big_endian(syntax)));
}

inline std::string ul(Syntax syntax, Tag tag, std::uint32_t value) {
  return element(syntax, tag, "UL", uint_bytes(value, 4, is_big_endian(syntax)));
}

// A string value padded to even length (UI with NUL, other VRs with a space).
inline std::string text(Syntax syntax, Tag tag, std::string_view vr, std::string value) {
  if (value.size() % 2) value += vr == "UI" ? '\0' : ' ';
  return element(syntax, tag, vr, value);
}

inline std::string item(Syntax syntax, const std::string& content, bool defined_length) {
  const std::string header = tag_bytes(syntax, {0xFFFE, 0xE000});
  const bool big = is_big_endian(syntax);
  if (defined_length) return header + uint_bytes(content.size(), 4, big) + content;
  return header + uint_bytes(undefined_length, 4, big) + content +
         tag_bytes(syntax, {0xFFFE, 0xE00D}) + std::string(4, '\0');
}

inline std::string sequence(Syntax syntax, Tag tag, const std::vector<std::string>& item_contents,
                            bool defined_length) {
  std::string items;
  for (const auto& content : item_contents) items += item(syntax, content, defined_length);
  if (defined_length)
    return element_header(syntax, tag, "SQ", static_cast<std::uint32_t>(items.size())) + items;
  return element_header(syntax, tag, "SQ", undefined_length) + items +
         tag_bytes(syntax, {0xFFFE, 0xE0DD}) + std::string(4, '\0');
}

// `depth` sequences, each holding one item holding the next; `innermost` inside the deepest
// item. Built in one pass (the lengths of defined-length nesting computed from the inside out).
inline std::string nested_sequences(Syntax syntax, int depth, bool defined_length,
                                    const std::string& innermost = "") {
  const bool big = is_big_endian(syntax);
  const std::string item_tag = tag_bytes(syntax, {0xFFFE, 0xE000});
  const size_t levels = static_cast<size_t>(depth);
  std::string bytes;
  if (!defined_length) {
    const std::string open = element_header(syntax, sequence_tag, "SQ", undefined_length) +
                             item_tag + uint_bytes(undefined_length, 4, big);
    const std::string close = tag_bytes(syntax, {0xFFFE, 0xE00D}) + std::string(4, '\0') +
                              tag_bytes(syntax, {0xFFFE, 0xE0DD}) + std::string(4, '\0');
    bytes.reserve((open.size() + close.size()) * levels + innermost.size());
    for (size_t level = 0; level < levels; ++level) bytes += open;
    bytes += innermost;
    for (size_t level = 0; level < levels; ++level) bytes += close;
    return bytes;
  }
  const size_t item_header_bytes = 8;
  const size_t level_bytes =
      element_header(syntax, sequence_tag, "SQ", 0).size() + item_header_bytes;
  bytes.reserve(level_bytes * levels + innermost.size());
  for (size_t level = 0; level < levels; ++level) {
    const size_t item_content = level_bytes * (levels - level - 1) + innermost.size();
    bytes += element_header(syntax, sequence_tag, "SQ",
                            static_cast<std::uint32_t>(item_header_bytes + item_content));
    bytes += item_tag + uint_bytes(item_content, 4, big);
  }
  return bytes + innermost;
}

// The attributes of a greyscale image, without PixelData. `rows` and `columns` are written as US;
// tests that need another encoding leave them out (rows = columns = 0) and add their own.
inline std::string image_attributes(Syntax syntax, std::uint16_t rows, std::uint16_t columns,
                                    std::uint16_t bits_allocated = 16) {
  std::string bytes = text(syntax, {0x0008, 0x0060}, "CS", "CT");
  bytes += us(syntax, {0x0028, 0x0002}, 1);
  bytes += text(syntax, {0x0028, 0x0004}, "CS", "MONOCHROME2");
  if (rows) bytes += us(syntax, rows_tag, rows);
  if (columns) bytes += us(syntax, columns_tag, columns);
  bytes += us(syntax, {0x0028, 0x0100}, bits_allocated);
  bytes += us(syntax, {0x0028, 0x0101}, bits_allocated);
  bytes += us(syntax, {0x0028, 0x0102}, static_cast<std::uint16_t>(bits_allocated - 1));
  bytes += us(syntax, {0x0028, 0x0103}, 0);
  return bytes;
}

// Preamble, "DICM" and an explicit little endian meta group (with its group length) naming
// `transfer_syntax_uid`, then `data_set` as given (already encoded, or deflated).
inline std::string part10(std::string_view transfer_syntax_uid, const std::string& data_set) {
  const Syntax meta = Syntax::explicit_little;
  std::string group = element(meta, {0x0002, 0x0001}, "OB", std::string("\0\1", 2));
  group += text(meta, {0x0002, 0x0002}, "UI", "1.2.840.10008.5.1.4.1.1.2");
  group += text(meta, {0x0002, 0x0003}, "UI", "1.2.826.0.1.3680043.8.498.1");
  group += text(meta, {0x0002, 0x0010}, "UI", std::string(transfer_syntax_uid));
  return std::string(128, '\0') + "DICM" +
         ul(meta, {0x0002, 0x0000}, static_cast<std::uint32_t>(group.size())) + group + data_set;
}

// Raw deflate (RFC 1951, as Deflated Explicit VR Little Endian stores the data set), fed piece by
// piece; zeros() adds any number of zero bytes without holding them.
class RawDeflater {
 public:
  RawDeflater() {
    if (deflateInit2(&stream_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
  }
  RawDeflater(const RawDeflater&) = delete;
  RawDeflater& operator=(const RawDeflater&) = delete;
  ~RawDeflater() { deflateEnd(&stream_); }

  RawDeflater& bytes(std::string_view data) {
    run(data, Z_NO_FLUSH);
    return *this;
  }

  RawDeflater& zeros(std::uint64_t count) {
    static const std::string piece(64 * 1024, '\0');
    while (count > 0) {
      const size_t taken = static_cast<size_t>(std::min<std::uint64_t>(count, piece.size()));
      run(std::string_view(piece).substr(0, taken), Z_NO_FLUSH);
      count -= taken;
    }
    return *this;
  }

  std::string finish() {
    run({}, Z_FINISH);
    return std::move(compressed_);
  }

 private:
  void run(std::string_view data, int flush) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    char out[64 * 1024];
    do {
      stream_.next_out = reinterpret_cast<Bytef*>(out);
      stream_.avail_out = sizeof out;
      deflate(&stream_, flush);
      compressed_.append(out, sizeof out - stream_.avail_out);
    } while (stream_.avail_out == 0 || (flush == Z_FINISH && stream_.avail_in > 0));
  }

  z_stream stream_{};
  std::string compressed_;
};

}  // namespace ihd::data::dicom_bytes
