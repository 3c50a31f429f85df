// The JSON pull reader (common/json.h): the events of every kind of value, string decoding
// (escapes, surrogate pairs, UTF-8), RFC 8259's strictness, the depth and size limits, truncated
// input, the number helpers, duplicate keys, and reading from a stream in chunks.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace ihd {
namespace {

JsonReadOptions options(int max_depth = 64, std::uint64_t max_bytes = 1 << 20) {
  return {"test.json", ErrorKind::bad_config, "JSON", max_bytes, max_depth};
}

// The events of `text` written out: "{", "}", "[", "]", "key:a", "string:b", "number:1", "true",
// "false", "null".
std::vector<std::string> events_of(JsonReader& reader) {
  std::vector<std::string> events;
  for (JsonEvent event = reader.next(); event != JsonEvent::end_of_document;
       event = reader.next()) {
    switch (event) {
      case JsonEvent::begin_object:
        events.push_back("{");
        break;
      case JsonEvent::end_object:
        events.push_back("}");
        break;
      case JsonEvent::begin_array:
        events.push_back("[");
        break;
      case JsonEvent::end_array:
        events.push_back("]");
        break;
      case JsonEvent::key:
        events.push_back("key:" + reader.text());
        break;
      case JsonEvent::string:
        events.push_back("string:" + reader.text());
        break;
      case JsonEvent::number:
        events.push_back("number:" + reader.text());
        break;
      default:
        events.push_back(std::string(json_event_name(event)));
    }
  }
  return events;
}

std::vector<std::string> events_of(std::string_view text, int max_depth = 64) {
  JsonReader reader(text, options(max_depth));
  return events_of(reader);
}

// The message that reading all of `text` throws ("" if none).
std::string error_of(std::string_view text, int max_depth = 64, std::uint64_t max_bytes = 1 << 20) {
  try {
    JsonReader reader(text, options(max_depth, max_bytes));
    events_of(reader);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// The one string `text` (a JSON string literal) decodes to.
std::string decoded(std::string_view text) {
  JsonReader reader(text, options());
  REQUIRE(reader.next() == JsonEvent::string);
  const std::string value = reader.text();
  REQUIRE(reader.next() == JsonEvent::end_of_document);
  return value;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("json reader: the events of every kind of value, in order") {
  CHECK(events_of(R"( {"a": [1, -2.5e+3, "x", true, false, null, {}, []], "b": {"c": 0}} )") ==
        std::vector<std::string>{"{",        "key:a", "[",        "number:1", "number:-2.5e+3",
                                 "string:x", "true",  "false",    "null",     "{",
                                 "}",        "[",     "]",        "]",        "key:b",
                                 "{",        "key:c", "number:0", "}",        "}"});
  CHECK(events_of("7") == std::vector<std::string>{"number:7"});
  CHECK(events_of("\"top\"") == std::vector<std::string>{"string:top"});
  CHECK(events_of(" \t\r\nnull\n") == std::vector<std::string>{"null"});
  JsonReader reader("[]", options());
  CHECK(reader.next() == JsonEvent::begin_array);
  CHECK(reader.depth() == 1);
  CHECK(reader.next() == JsonEvent::end_array);
  CHECK(reader.depth() == 0);
  CHECK(reader.next() == JsonEvent::end_of_document);
  CHECK(reader.next() == JsonEvent::end_of_document);
}

TEST_CASE("json reader: escapes, \\u escapes and surrogate pairs decode to UTF-8") {
  CHECK(decoded(R"("\" \\ \/ \b \f \n \r \t")") == "\" \\ / \b \f \n \r \t");
  CHECK(decoded(R"("\u0041\u00e9\u00E9\u20ac")") == "A\xC3\xA9\xC3\xA9\xE2\x82\xAC");
  CHECK(decoded(R"("\u0000")") == std::string("\0", 1));
  CHECK(decoded(R"("\ud83d\ude00")") == "\xF0\x9F\x98\x80");
  CHECK(decoded(R"("\uD800\uDC00 \uDBFF\uDFFF")") == "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF");
  CHECK(decoded(R"("\ud7ff\ue000\uffff")") == "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF");
  CHECK(decoded("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"") == "caf\xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(decoded("\"\x7F\"") == "\x7F");  // DEL needs no escape in JSON
  CHECK(decoded("\"\"").empty());
}

TEST_CASE("json reader: unpaired surrogates are refused") {
  for (const char* text : {R"("\ud800")", R"("\ud800x")", R"("\ud800\u0041")", R"("\udc00")",
                           R"("\ud800\ud800")", R"("\udfff\ud800")", R"("\ud800\n")"}) {
    CAPTURE(text);
    CHECK(contains(error_of(text), "unpaired surrogate"));
  }
}

TEST_CASE("json reader: bytes that are not UTF-8 are refused inside strings") {
  for (const char* text :
       {"\"\xE9\"", "\"caf\xE9!\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"",
        "\"\xE2\x82\"", "\"\xE2\x82", "\"\x80\"", "\"\xFF\""}) {
    CAPTURE(text);
    CHECK(contains(error_of(text), "invalid UTF-8"));
  }
}

TEST_CASE("json reader: RFC 8259 strictness") {
  const auto refused = [](std::string_view text, const std::string& reason) {
    CAPTURE(text);
    const std::string message = error_of(text);
    CAPTURE(message);
    CHECK(contains(message, reason));
  };
  refused("\"a\nb\"", "control character byte 0x0a inside a string");
  refused(std::string_view("\"\0\"", 3), "control character byte 0x00");
  refused(R"("\x41")", "unknown escape \\x");
  refused(R"("\u12")", "four hex digits");
  refused(R"("\u12g4")", "four hex digits");
  refused("[1,]", "expected a value, found ']'");
  refused("{\"a\":1,}", "expected a key");
  refused("[1 2]", "expected ',' or ']', found '2'");
  refused("{\"a\" 1}", "expected ':'");
  refused("{\"a\":1 \"b\":2}", "expected ',' or '}'");
  refused("{a:1}", "expected a key");
  refused("['a']", "expected a value, found '''");
  refused("01", "unexpected text after the top-level value");
  refused("[01]", "expected ',' or ']', found '1'");
  refused("-", "expected a digit in a number");
  refused("-a", "expected a digit in a number");
  refused("1.", "expected a digit after the decimal point");
  refused(".5", "expected a value");
  refused("+1", "expected a value");
  refused("1e", "expected a digit in the exponent");
  refused("1e+", "expected a digit in the exponent");
  refused("NaN", "expected a value");
  refused("Infinity", "expected a value");
  refused("tru", "unknown word");
  refused("nul", "unknown word");
  refused("True", "expected a value");
  refused("[1] // comment", "unexpected text after the top-level value");
  refused("/* c */ 1", "expected a value");
  refused("1 2", "unexpected text after the top-level value");
  refused("", "expected a value, found the end of the input");
  refused(" \n ", "expected a value, found the end of the input");
  refused("\xEF\xBB\xBF{}", "expected a value, found byte 0xef");  // a byte order mark
  refused("\xC2\xA0{}", "expected a value");                       // no-break space
  refused("[\f1]", "expected a value, found byte 0x0c");
}

TEST_CASE("json reader: nesting is bounded by the caller, without recursion") {
  CHECK(error_of("[[[]]]", 3).empty());
  CHECK(contains(error_of("[[[[]]]]", 3), "nesting deeper than 3 levels"));
  CHECK(contains(error_of("{\"a\":{}}", 1), "nesting deeper than 1 level"));
  CHECK(contains(error_of("{\"a\":{\"b\":[]}}", 2), "at byte 10"));
  const std::string deep(1000000, '[');
  CHECK(contains(error_of(deep, 100), "nesting deeper than 100 levels"));
  // A depth limit as large as the document itself still reads it (no stack is involved).
  CHECK(contains(error_of(deep, 2000000), "found the end of the input"));
}

TEST_CASE("json reader: the size is bounded by the caller") {
  CHECK(error_of("[1,2,3]", 64, 7).empty());
  const std::string message = error_of("[1,2,3] ", 64, 7);
  CHECK(message == "test.json: JSON of 8 bytes exceeds the limit of 7 bytes");
  std::istringstream stream("[1,2,3]");
  CHECK_THROWS_WITH_AS(JsonReader(stream, 7, options(64, 6)), doctest::Contains("exceeds"), Error);
}

TEST_CASE("json reader: every truncation of a document is refused with one line") {
  const std::string document =
      R"({"name": "caf\u00e9 \ud83d\ude00", "shape": [1, 22, -3.5e+7], "ok": [true, false, null]})";
  CHECK(error_of(document).empty());
  for (std::size_t length = 0; length < document.size(); ++length) {
    const std::string message = error_of(document.substr(0, length));
    CAPTURE(length);
    CAPTURE(message);
    CHECK(contains(message, "test.json: malformed JSON at byte "));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("json reader: errors name the label and the byte offset, with the caller's kind") {
  try {
    JsonReader reader("{\"a\": [1, 2,, 3]}",
                      JsonReadOptions{"run/config.json", ErrorKind::bad_config, "JSON", 100, 8});
    events_of(reader);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(std::string(error.what()) ==
          "run/config.json: malformed JSON at byte 12: expected a value, found ','");
    CHECK(error.kind() == ErrorKind::bad_config);
    CHECK(error.path() == "run/config.json");
  }
  CHECK(error_of("\"abc") == "test.json: malformed JSON at byte 0: unterminated string");
  JsonReader reader("  [true]", JsonReadOptions{"header", ErrorKind::general, "JSON header", 8, 8});
  reader.next();
  reader.next();
  CHECK_THROWS_WITH_AS(reader.fail("no booleans here"), "header: no booleans here (at byte 3)",
                       Error);
  JsonReader broken("[x]", JsonReadOptions{"header", ErrorKind::general, "JSON header", 8, 8});
  broken.next();
  CHECK_THROWS_WITH_AS(
      broken.next(), "header: malformed JSON header at byte 1: expected a value, found 'x'", Error);
}

// Reads the single number `literal` and gives it to `use`.
template <typename Use>
auto with_number(const std::string& literal, Use use) {
  JsonReader reader(literal, options());
  REQUIRE(reader.next() == JsonEvent::number);
  CHECK(reader.text() == literal);
  return use(reader);
}

TEST_CASE("json reader: non_negative_integer reads digits only, without overflow") {
  const auto integer = [](const std::string& literal, std::uint64_t max = UINT64_MAX) {
    return with_number(literal, [&](JsonReader& r) { return r.non_negative_integer("n", max); });
  };
  CHECK(integer("0") == 0);
  CHECK(integer("42") == 42);
  CHECK(integer("18446744073709551615") == UINT64_MAX);
  CHECK(integer("16", 16) == 16);
  CHECK_THROWS_WITH_AS(integer("18446744073709551616"),
                       "test.json: n must be a non-negative integer no larger than "
                       "18446744073709551615, got '18446744073709551616' (at byte 0)",
                       Error);
  CHECK_THROWS_WITH_AS(integer("99999999999999999999999"), doctest::Contains("non-negative"),
                       Error);
  CHECK_THROWS_WITH_AS(integer("17", 16), doctest::Contains("no larger than 16"), Error);
  for (const char* literal : {"-1", "-0", "1.0", "1e3", "0.5"}) {
    CAPTURE(literal);
    CHECK_THROWS_WITH_AS(integer(literal), doctest::Contains("must be a non-negative integer"),
                         Error);
  }
  JsonReader reader("\"12\"", options());
  reader.next();
  CHECK_THROWS_WITH_AS(reader.non_negative_integer("size"), doctest::Contains("got a string"),
                       Error);
}

TEST_CASE("json reader: finite_double reads any number a double can hold") {
  const auto real = [](const std::string& literal) {
    return with_number(literal, [](JsonReader& r) { return r.finite_double("x"); });
  };
  CHECK(real("1.5") == 1.5);
  CHECK(real("-2.5E-3") == -0.0025);
  CHECK(real("1e308") == 1e308);
  CHECK(real("123456789012345678901234567890") == doctest::Approx(1.2345678901234568e29));
  CHECK(real("4.9e-324") == std::ldexp(1.0, -1074));
  CHECK(real("1e-400") == 0.0);
  CHECK(std::signbit(real("-1e-400")));
  CHECK(real("0.00000000000000000000000000000001e-300") == 0.0);
  CHECK(std::signbit(real("-0")));
  CHECK_THROWS_WITH_AS(real("1e309"), "test.json: x is too large for a double: '1e309' (at byte 0)",
                       Error);
  CHECK_THROWS_WITH_AS(real("-1e400"), doctest::Contains("too large for a double"), Error);
  CHECK_THROWS_WITH_AS(real("1" + std::string(400, '0') + "e-1"),
                       doctest::Contains("too large for a double"), Error);
  JsonReader reader("null", options());
  reader.next();
  CHECK_THROWS_WITH_AS(reader.finite_double("x"), doctest::Contains("x must be a number, got null"),
                       Error);
}

TEST_CASE("json reader: JsonKeySet refuses a key seen before in the same object") {
  JsonReader reader(R"({"a": {"a": 1, "b": 2}, "b": 3, "a": 4})", options());
  JsonKeySet outer;
  CHECK(reader.next() == JsonEvent::begin_object);
  CHECK(reader.next() == JsonEvent::key);
  outer.add(reader);
  CHECK(reader.next() == JsonEvent::begin_object);
  JsonKeySet inner;
  CHECK(reader.next() == JsonEvent::key);
  inner.add(reader);  // "a" again, but in another object
  CHECK(reader.next() == JsonEvent::number);
  CHECK(reader.next() == JsonEvent::key);
  inner.add(reader);
  CHECK(reader.next() == JsonEvent::number);
  CHECK(reader.next() == JsonEvent::end_object);
  CHECK(reader.next() == JsonEvent::key);
  outer.add(reader);
  CHECK(reader.next() == JsonEvent::number);
  CHECK(reader.next() == JsonEvent::key);
  CHECK_THROWS_WITH_AS(outer.add(reader), "test.json: duplicate key \"a\" (at byte 32)", Error);
}

TEST_CASE("json reader: a stream is read in chunks, only `length` bytes of it, offsets from 0") {
  // Longer than several 64 KiB chunks, with strings, escapes and UTF-8 across chunk boundaries.
  std::string document = "[";
  for (int i = 0; i < 20000; ++i) {
    document += (i > 0 ? "," : "");
    document += i % 3 == 0 ? "\"caf\xC3\xA9 \\ud83d\\ude00 \\n\"" : std::to_string(i * 7919);
  }
  document += ",\"" + std::string(200000, 'x') + "\"]";
  JsonReader in_memory(document, options(4, 1 << 24));
  const std::vector<std::string> expected = events_of(in_memory);

  std::istringstream stream("PREFIX.." + document + "trailing bytes not read");
  stream.seekg(8);
  JsonReader from_stream(stream, document.size(), options(4, 1 << 24));
  CHECK(events_of(from_stream) == expected);

  std::istringstream with_error("PREFIX..[1,2,x]");
  with_error.seekg(8);
  JsonReader broken(with_error, 7, options());
  CHECK_THROWS_WITH_AS(events_of(broken),
                       "test.json: malformed JSON at byte 13: expected a value, found 'x'", Error);

  std::istringstream short_stream("[1,2");
  JsonReader cut(short_stream, 100, options());
  CHECK_THROWS_WITH_AS(events_of(cut), doctest::Contains("it ends early"), Error);
}

}  // namespace
}  // namespace ihd
