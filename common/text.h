// UTF-8 text: the encoding of a code point, the check of one encoded sequence, and the one rule by
// which ihd turns outside bytes (DICOM header values, CSV IDs, flag values) into valid UTF-8
// before writing them into a text format (JSON, SVG, HTML): well-formed UTF-8 is kept as it is,
// and every byte that is not part of a well-formed sequence is read as Latin-1 (ISO 8859-1, the
// default character set of DICOM) and written as that character's UTF-8 encoding. Every input
// therefore gives valid UTF-8, and pure ASCII or UTF-8 text is unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ihd {

// Appends the UTF-8 encoding of `code_point`, which must be a Unicode scalar value (at most
// U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t code_point);

// The length (1 to 4) of the well-formed UTF-8 sequence at the start of `bytes` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when `bytes` does not start with
// one.
std::size_t utf8_sequence_length(std::string_view bytes);

// `bytes` as valid UTF-8, by the rule above.
std::string valid_utf8(std::string_view bytes);

}  // namespace ihd
