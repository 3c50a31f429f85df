// UTF-8 text (common/text.h): encoding, the well-formedness of one sequence at the edges of RFC
// 3629's table, and valid_utf8's Latin-1 reading of every byte that is not UTF-8.
#include "common/text.h"

#include <doctest/doctest.h>

#include "common/random.h"

namespace ihd {
namespace {

std::string utf8(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

// Whether `text` is valid UTF-8 from end to end.
bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

TEST_CASE("append_utf8 writes one to four bytes") {
  CHECK(utf8(U'A') == "A");
  CHECK(utf8(0xE9) == "\xC3\xA9");
  CHECK(utf8(0x7FF) == "\xDF\xBF");
  CHECK(utf8(0x20AC) == "\xE2\x82\xAC");
  CHECK(utf8(0xFFFF) == "\xEF\xBF\xBF");
  CHECK(utf8(0x1F600) == "\xF0\x9F\x98\x80");
  CHECK(utf8(0x10FFFF) == "\xF4\x8F\xBF\xBF");
}

TEST_CASE("utf8_sequence_length accepts exactly the well-formed sequences") {
  CHECK(utf8_sequence_length("A") == 1);
  CHECK(utf8_sequence_length(std::string_view("\0", 1)) == 1);
  CHECK(utf8_sequence_length("\xC2\x80") == 2);          // U+0080, the smallest two-byte
  CHECK(utf8_sequence_length("\xE0\xA0\x80") == 3);      // U+0800
  CHECK(utf8_sequence_length("\xED\x9F\xBF") == 3);      // U+D7FF, just below the surrogates
  CHECK(utf8_sequence_length("\xEE\x80\x80") == 3);      // U+E000, just above them
  CHECK(utf8_sequence_length("\xF0\x90\x80\x80") == 4);  // U+10000
  CHECK(utf8_sequence_length("\xF4\x8F\xBF\xBF") == 4);  // U+10FFFF
  CHECK(utf8_sequence_length("\xE2\x82\xACxyz") == 3);   // only the first sequence counts
  CHECK(utf8_sequence_length("") == 0);
  CHECK(utf8_sequence_length("\x80") == 0);              // a lone continuation byte
  CHECK(utf8_sequence_length("\xC0\xAF") == 0);          // overlong '/'
  CHECK(utf8_sequence_length("\xC1\xBF") == 0);          // overlong
  CHECK(utf8_sequence_length("\xE0\x9F\xBF") == 0);      // overlong three-byte
  CHECK(utf8_sequence_length("\xF0\x8F\xBF\xBF") == 0);  // overlong four-byte
  CHECK(utf8_sequence_length("\xED\xA0\x80") == 0);      // U+D800, a surrogate
  CHECK(utf8_sequence_length("\xED\xBF\xBF") == 0);      // U+DFFF
  CHECK(utf8_sequence_length("\xF4\x90\x80\x80") == 0);  // U+110000
  CHECK(utf8_sequence_length("\xF5\x80\x80\x80") == 0);
  CHECK(utf8_sequence_length("\xFF") == 0);
  CHECK(utf8_sequence_length("\xE2\x82") == 0);      // cut short
  CHECK(utf8_sequence_length("\xE2\x28\xA1") == 0);  // a bad continuation byte
  CHECK(utf8_sequence_length("\xF0\x9F\x98\x28") == 0);
}

TEST_CASE("valid_utf8 keeps UTF-8 and reads every other byte as Latin-1") {
  CHECK(valid_utf8("plain ASCII, \t\n controls too") == "plain ASCII, \t\n controls too");
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(valid_utf8("caf\xE9") == "caf\xC3\xA9");  // DICOM's ISO_IR 100 'é'
  CHECK(valid_utf8("\xFF") == "\xC3\xBF");
  CHECK(valid_utf8("\x80") == "\xC2\x80");
  CHECK(valid_utf8("\xE2\x82") == "\xC3\xA2\xC2\x82");              // a cut sequence, byte by byte
  CHECK(valid_utf8("\xED\xA0\x80") == "\xC3\xAD\xC2\xA0\xC2\x80");  // an encoded surrogate
  CHECK(valid_utf8("\xE2\x82\xAC\xAC") == "\xE2\x82\xAC\xC2\xAC");
  CHECK(valid_utf8("").empty());
}

TEST_CASE("valid_utf8 of random bytes is valid UTF-8, and a second pass changes nothing") {
  Random random(20240611);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(random.below(24), '\0');
    for (char& c : bytes) c = static_cast<char>(random.below(256));
    const std::string text = valid_utf8(bytes);
    CAPTURE(bytes);
    CHECK(is_valid_utf8(text));
    CHECK(valid_utf8(text) == text);
    CHECK(text.size() >= bytes.size());
  }
}

}  // namespace
}  // namespace ihd
