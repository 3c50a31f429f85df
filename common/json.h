// JSON (RFC 8259), the one implementation of ihd, for every JSON file it reads or writes: the
// header of a safetensors file, a run's config.json, history.json.
//
// Reading is a pull reader: next() returns one event at a time (an object or array opening or
// closing, a key, a string, a number, a literal), and the caller checks the document against its
// schema as it goes and keeps only what it needs; no tree is built. Read from a stream, the
// document is read in 64 KiB chunks and never held whole. The reader is strict: UTF-8 only, one
// top-level value, no comments, no trailing commas, no leading zeros, no bytes after the value.
// The caller bounds the size and the nesting depth. Strings come back decoded to UTF-8 (\u escapes
// included, surrogate pairs joined, unpaired surrogates refused); numbers as their literal text,
// with helpers that read one as a non-negative integer or as a finite double.
//
// Every error is an ihd::Error(kind, label, reason) of one line: a syntax error reads
// "<label>: malformed JSON at byte N: <what>" ("JSON" being the caller's name for the document), a
// schema error raised through fail() reads "<label>: <what> (at byte N)", N counting from the
// start of the stream (of the file).
//
// Writing has one escaping rule, json_escape(): the text is first made valid UTF-8 (valid_utf8 in
// common/text.h: bytes that are not UTF-8 are read as Latin-1), then '"' and '\' are escaped and
// control characters (below 0x20, and 0x7F) become \b \f \n \r \t or \u00XX. Any bytes give valid
// JSON; valid UTF-8 comes back from the reader byte for byte.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ihd {

enum class JsonEvent {
  begin_object,
  end_object,
  begin_array,
  end_array,
  key,  // an object member's name, in text()
  string,
  number,
  literal_true,
  literal_false,
  literal_null,
  end_of_document,  // after the top-level value (returned again by every later call)
};

// "an object", "a number", "the end of an array"...: for messages that say what was found.
std::string_view json_event_name(JsonEvent event);

struct JsonReadOptions {
  std::string label;  // names the input in every error (a file's path) and is the Error's path
  ErrorKind error_kind = ErrorKind::bad_value;
  std::string document = "JSON";  // what the text is, in syntax errors ("malformed JSON header")
  std::uint64_t max_bytes = 0;    // the longest input accepted
  int max_depth = 0;              // the most objects and arrays open at once
};

class JsonReader {
 public:
  // Over text in memory, which must outlive the reader (byte offsets count from its start).
  JsonReader(std::string_view text, JsonReadOptions options);
  // Over the next `length` bytes of `in`, from its current position, read in chunks; byte offsets
  // count from the start of the stream. `in` must outlive the reader.
  JsonReader(std::istream& in, std::uint64_t length, JsonReadOptions options);
  // Not copied or moved: the window may point into the reader's own chunk.
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // The next event; throws on malformed JSON, on nesting deeper than the limit, and when the
  // input ends inside the value.
  JsonEvent next();

  JsonEvent event() const { return event_; }
  // The last key or string, decoded to UTF-8; the last number's literal text.
  const std::string& text() const { return text_; }
  // Objects and arrays open after the last event.
  int depth() const { return static_cast<int>(open_is_object_.size()); }

  // The last event, a number, as an integer of digits only (no sign, fraction or exponent) no
  // larger than `max`; otherwise fails, saying "<what> must be a non-negative integer...".
  std::uint64_t non_negative_integer(std::string_view what, std::uint64_t max = UINT64_MAX) const;
  // The last event, a number, as the nearest double (a number too small for a double is zero);
  // fails, naming `what`, if it is not a number or too large for a double.
  double finite_double(std::string_view what) const;

  // Throws the schema error "<label>: <reason> (at byte N)", N the offset of the last event.
  [[noreturn]] void fail(std::string_view reason) const;

 private:
  enum class Expect { value, first_key, key, first_item, comma_or_close, end };

  void check_limits(std::uint64_t length) const;
  int peek();
  int take();
  bool refill();
  std::uint64_t offset_now() const;
  [[noreturn]] void fail_syntax(std::string_view reason) const;
  [[noreturn]] void fail_syntax_at(std::uint64_t offset, std::string_view reason) const;
  void skip_whitespace();
  JsonEvent read_value(int first);
  JsonEvent read_key(int first);
  JsonEvent open(bool is_object);
  JsonEvent close();
  JsonEvent after_value(JsonEvent event);
  void read_string_body();
  void read_escape();
  char32_t read_hex4();
  void read_number();
  void read_literal(std::string_view word);

  JsonReadOptions options_;
  std::istream* stream_ = nullptr;  // null for text in memory
  std::uint64_t stream_bytes_left_ = 0;
  std::string chunk_;                 // the bytes read last from the stream
  std::string_view window_;           // the text in memory, or chunk_
  std::size_t position_ = 0;          // the next byte, in window_
  std::uint64_t window_offset_ = 0;   // the offset of window_[0]
  std::vector<bool> open_is_object_;  // the open objects (true) and arrays, innermost last
  Expect expect_ = Expect::value;
  JsonEvent event_ = JsonEvent::end_of_document;
  std::uint64_t event_offset_ = 0;
  std::string text_;
};

// The keys of one object, for refusing a duplicate.
class JsonKeySet {
 public:
  // Records the reader's current key; fails through the reader ("duplicate key \"k\"") if this
  // object had it already.
  void add(const JsonReader& reader);

 private:
  std::unordered_set<std::string> keys_;
};

// `text` escaped by the one rule above, without the surrounding quotes (also for quoting names
// in one-line messages).
std::string json_escape(std::string_view text);
// `text` as a JSON string: '"' + json_escape(text) + '"'.
std::string json_quote(std::string_view text);
// `value` as a JSON number, the shortest text that reads back as the same double; null when it is
// not finite (JSON has no NaN or infinity).
std::string json_number(double value);

}  // namespace ihd
