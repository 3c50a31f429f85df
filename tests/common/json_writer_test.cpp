// The JSON writer (common/json.h): the one escaping rule, numbers, and the round trip of random
// byte strings through json_quote and the reader.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/json.h"
#include "common/random.h"
#include "common/text.h"

namespace ihd {
namespace {

std::string read_back(const std::string& json) {
  JsonReader reader(json, {"round trip", ErrorKind::general, "JSON", json.size(), 1});
  REQUIRE(reader.next() == JsonEvent::string);
  const std::string text = reader.text();
  REQUIRE(reader.next() == JsonEvent::end_of_document);
  return text;
}

TEST_CASE("json_quote escapes quotes, backslashes and control characters, nothing else") {
  CHECK(json_quote("") == "\"\"");
  CHECK(json_quote("plain / text") == "\"plain / text\"");
  CHECK(json_quote("\"quoted\" \\path\\") == R"("\"quoted\" \\path\\")");
  CHECK(json_quote("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json_quote(std::string("\0\x01\x1f\x7f", 4)) == R"("\u0000\u0001\u001f\u007f")");
  CHECK(json_quote("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  CHECK(json_escape("a\"b") == "a\\\"b");
}

TEST_CASE("json_quote writes bytes that are not UTF-8 as the Latin-1 characters they encode") {
  CHECK(json_quote("caf\xE9") == "\"caf\xC3\xA9\"");
  CHECK(json_quote("\xFF\xFE") == "\"\xC3\xBF\xC3\xBE\"");
  CHECK(json_quote("\xED\xA0\x80") == "\"\xC3\xAD\xC2\xA0\xC2\x80\"");  // an encoded surrogate
  CHECK(json_quote("\x80\x9F") == "\"\xC2\x80\xC2\x9F\"");  // C1 controls are valid in JSON
}

TEST_CASE("json_number writes the shortest round-trip text, null for NaN and infinities") {
  CHECK(json_number(0) == "0");
  CHECK(json_number(0.1) == "0.1");
  CHECK(json_number(-2.5) == "-2.5");
  CHECK(json_number(1e300) == "1e+300");
  CHECK(json_number(std::ldexp(1.0, -1074)) == "5e-324");
  CHECK(json_number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(json_number(std::numeric_limits<double>::infinity()) == "null");
  CHECK(json_number(-std::numeric_limits<double>::infinity()) == "null");
  for (const double value : {0.1, 1.0 / 3.0, -1e-300, 6.02214076e23, 123456789.0}) {
    const std::string text = json_number(value);
    JsonReader reader(text, {"number", ErrorKind::general, "JSON", 64, 1});
    REQUIRE(reader.next() == JsonEvent::number);
    CHECK(reader.finite_double("value") == value);
  }
}

// A random string: ASCII (controls, quotes and backslashes often), UTF-8 of random scalar values,
// and, unless `utf8_only`, stray bytes of every value.
std::string random_text(Random& random, bool utf8_only) {
  std::string text;
  const int pieces = random.integer(0, 20);
  for (int i = 0; i < pieces; ++i) {
    switch (random.below(utf8_only ? 3 : 4)) {
      case 0:
        text += "\"\\\x01\n\x7f/"[random.below(6)];
        break;
      case 1:
        text += static_cast<char>(random.below(128));
        break;
      case 2: {
        char32_t code_point = static_cast<char32_t>(random.below(0x110000));
        if (code_point >= 0xD800 && code_point <= 0xDFFF) code_point -= 0x800;
        append_utf8(text, code_point);
        break;
      }
      default:
        text += static_cast<char>(random.below(256));
    }
  }
  return text;
}

TEST_CASE("json_quote then the reader returns valid_utf8 of any bytes, UTF-8 unchanged") {
  Random random(8259);
  for (int i = 0; i < 5000; ++i) {
    const bool utf8_only = i % 2 == 0;
    const std::string text = random_text(random, utf8_only);
    CAPTURE(text);
    const std::string json = json_quote(text);
    const std::string back = read_back(json);
    CHECK(back == valid_utf8(text));
    if (utf8_only) CHECK(back == text);
    // The escaped form is printable: no raw control character is left in it.
    CHECK(std::all_of(json.begin(), json.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F; }));
  }
}

}  // namespace
}  // namespace ihd
