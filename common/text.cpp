// UTF-8 encoding, the well-formedness check of one sequence (the table of RFC 3629, section 4)
// and the Latin-1 reading of the bytes that fail it.
#include "common/text.h"

#include "common/error.h"

namespace ihd {

void append_utf8(std::string& out, char32_t code_point) {
  IHD_CHECK(code_point <= 0x10FFFF && (code_point < 0xD800 || code_point > 0xDFFF),
            "append_utf8: U+", static_cast<unsigned long>(code_point), " is not a scalar value");
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

std::size_t utf8_sequence_length(std::string_view bytes) {
  if (bytes.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  // The length the lead byte announces and the range its second byte must lie in; the third and
  // fourth bytes are plain continuation bytes (0x80..0xBF).
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // no overlong three-byte forms
    if (lead == 0xED) second_high = 0x9F;  // no surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // no overlong four-byte forms
    if (lead == 0xF4) second_high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // a continuation byte, an overlong two-byte lead (C0, C1) or F5..FF
  }
  if (bytes.size() < length || byte(1) < second_low || byte(1) > second_high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes.substr(i));
    if (length > 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      append_utf8(out, static_cast<unsigned char>(bytes[i]));  // Latin-1: byte value = code point
      ++i;
    }
  }
  return out;
}

}  // namespace ihd
