// The JSON pull reader (a state machine over a byte window that is refilled chunk by chunk, with a
// stack of the open containers in place of recursion), its number helpers, and the writer's one
// escaping rule.
#include "common/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/decimal.h"
#include "common/text.h"

namespace ihd {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{64} << 10;

bool is_digit(int c) {
  return c >= '0' && c <= '9';
}

// The byte `c` (or -1, the end of the input) as a message shows it.
std::string describe_byte(int c) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (c < 0) return "the end of the input";
  if (c > 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xF];
}

// At most 40 bytes of a number's literal, for messages.
std::string excerpt(const std::string& literal) {
  return literal.size() <= 40 ? literal : literal.substr(0, 40) + "...";
}

// Whether a number literal that std::from_chars found out of range lies below the range of a
// double rather than above it: the power of ten of its first significant digit, plus its
// exponent, is negative.
bool is_below_double_range(std::string_view literal) {
  const std::size_t mantissa_end = std::min(literal.find_first_of("eE"), literal.size());
  const std::string_view mantissa = literal.substr(0, mantissa_end);
  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first_significant = mantissa.find_first_of("123456789");
  if (first_significant == std::string_view::npos) return true;
  const long long power = first_significant < point
                              ? static_cast<long long>(point - first_significant) - 1
                              : -static_cast<long long>(first_significant - point);
  long long exponent = 0;
  if (mantissa_end < literal.size()) {
    std::size_t i = mantissa_end + 1;
    const bool negative = literal[i] == '-';
    if (literal[i] == '-' || literal[i] == '+') ++i;
    for (; i < literal.size(); ++i) {
      exponent = std::min(exponent * 10 + (literal[i] - '0'), 1LL << 40);  // saturates
    }
    if (negative) exponent = -exponent;
  }
  return power + exponent < 0;
}

}  // namespace

std::string_view json_event_name(JsonEvent event) {
  switch (event) {
    case JsonEvent::begin_object:
      return "an object";
    case JsonEvent::end_object:
      return "the end of an object";
    case JsonEvent::begin_array:
      return "an array";
    case JsonEvent::end_array:
      return "the end of an array";
    case JsonEvent::key:
      return "a key";
    case JsonEvent::string:
      return "a string";
    case JsonEvent::number:
      return "a number";
    case JsonEvent::literal_true:
      return "true";
    case JsonEvent::literal_false:
      return "false";
    case JsonEvent::literal_null:
      return "null";
    case JsonEvent::end_of_document:
      return "the end of the document";
  }
  return "?";
}

JsonReader::JsonReader(std::string_view text, JsonReadOptions options)
    : options_(std::move(options)), window_(text) {
  check_limits(text.size());
}

JsonReader::JsonReader(std::istream& in, std::uint64_t length, JsonReadOptions options)
    : options_(std::move(options)), stream_(&in), stream_bytes_left_(length) {
  check_limits(length);
  const std::streamoff start = in.tellg();
  window_offset_ = start > 0 ? static_cast<std::uint64_t>(start) : 0;
}

void JsonReader::check_limits(std::uint64_t length) const {
  IHD_CHECK(options_.max_depth > 0, "JsonReader: max_depth must be positive");
  if (length > options_.max_bytes) {
    throw Error(options_.error_kind, options_.label,
                options_.document + " of " + std::to_string(length) +
                    " bytes exceeds the limit of " + std::to_string(options_.max_bytes) + " bytes");
  }
}

// ---- input ----

int JsonReader::peek() {
  if (position_ == window_.size() && !refill()) return -1;
  return static_cast<unsigned char>(window_[position_]);
}

int JsonReader::take() {
  const int c = peek();
  if (c >= 0) ++position_;
  return c;
}

bool JsonReader::refill() {
  if (stream_ == nullptr || stream_bytes_left_ == 0) return false;
  window_offset_ += window_.size();
  chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, stream_bytes_left_)));
  stream_->read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  if (static_cast<std::size_t>(stream_->gcount()) != chunk_.size()) {
    window_ = {};
    position_ = 0;
    fail_syntax("cannot read the input here (it ends early or the read failed)");
  }
  stream_bytes_left_ -= chunk_.size();
  window_ = chunk_;
  position_ = 0;
  return true;
}

std::uint64_t JsonReader::offset_now() const {
  return window_offset_ + position_;
}

void JsonReader::skip_whitespace() {
  while (true) {
    while (position_ < window_.size()) {
      const char c = window_[position_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++position_;
    }
    if (!refill()) return;
  }
}

// ---- errors ----

void JsonReader::fail(std::string_view reason) const {
  throw Error(options_.error_kind, options_.label,
              std::string(reason) + " (at byte " + std::to_string(event_offset_) + ")");
}

void JsonReader::fail_syntax(std::string_view reason) const {
  fail_syntax_at(offset_now(), reason);
}

void JsonReader::fail_syntax_at(std::uint64_t offset, std::string_view reason) const {
  throw Error(options_.error_kind, options_.label,
              "malformed " + options_.document + " at byte " + std::to_string(offset) + ": " +
                  std::string(reason));
}

// ---- events ----

JsonEvent JsonReader::next() {
  text_.clear();
  while (true) {
    skip_whitespace();
    event_offset_ = offset_now();
    const int c = peek();
    switch (expect_) {
      case Expect::value:
        return read_value(c);
      case Expect::first_item:
        return c == ']' ? close() : read_value(c);
      case Expect::first_key:
        return c == '}' ? close() : read_key(c);
      case Expect::key:
        return read_key(c);
      case Expect::comma_or_close: {
        const bool in_object = open_is_object_.back();
        if (c == ',') {
          ++position_;
          expect_ = in_object ? Expect::key : Expect::value;
          continue;
        }
        if (c == (in_object ? '}' : ']')) return close();
        fail_syntax(std::string(in_object ? "expected ',' or '}'" : "expected ',' or ']'") +
                    ", found " + describe_byte(c));
      }
      case Expect::end:
        if (c >= 0) fail_syntax("unexpected text after the top-level value");
        return event_ = JsonEvent::end_of_document;
    }
  }
}

JsonEvent JsonReader::read_value(int first) {
  switch (first) {
    case '{':
      return open(true);
    case '[':
      return open(false);
    case '"':
      ++position_;
      read_string_body();
      return after_value(JsonEvent::string);
    case 't':
      read_literal("true");
      return after_value(JsonEvent::literal_true);
    case 'f':
      read_literal("false");
      return after_value(JsonEvent::literal_false);
    case 'n':
      read_literal("null");
      return after_value(JsonEvent::literal_null);
    default:
      if (first == '-' || is_digit(first)) {
        read_number();
        return after_value(JsonEvent::number);
      }
      fail_syntax("expected a value, found " + describe_byte(first));
  }
}

JsonEvent JsonReader::read_key(int first) {
  if (first != '"') fail_syntax("expected a key (a string), found " + describe_byte(first));
  ++position_;
  read_string_body();
  skip_whitespace();
  if (peek() != ':') fail_syntax("expected ':' after a key, found " + describe_byte(peek()));
  ++position_;
  expect_ = Expect::value;
  return event_ = JsonEvent::key;
}

JsonEvent JsonReader::open(bool is_object) {
  if (depth() >= options_.max_depth) {
    fail_syntax("nesting deeper than " + std::to_string(options_.max_depth) +
                (options_.max_depth == 1 ? " level" : " levels"));
  }
  ++position_;
  open_is_object_.push_back(is_object);
  expect_ = is_object ? Expect::first_key : Expect::first_item;
  return event_ = is_object ? JsonEvent::begin_object : JsonEvent::begin_array;
}

JsonEvent JsonReader::close() {
  ++position_;
  const bool was_object = open_is_object_.back();
  open_is_object_.pop_back();
  return after_value(was_object ? JsonEvent::end_object : JsonEvent::end_array);
}

JsonEvent JsonReader::after_value(JsonEvent event) {
  expect_ = open_is_object_.empty() ? Expect::end : Expect::comma_or_close;
  return event_ = event;
}

// ---- strings ----

void JsonReader::read_string_body() {
  const std::uint64_t start = offset_now() - 1;
  while (true) {
    // Plain ASCII runs are copied in one piece.
    const std::size_t run_start = position_;
    while (position_ < window_.size()) {
      const auto c = static_cast<unsigned char>(window_[position_]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++position_;
    }
    text_.append(window_.substr(run_start, position_ - run_start));

    const int c = take();
    if (c < 0) fail_syntax_at(start, "unterminated string");
    if (c == '"') return;
    if (c == '\\') {
      read_escape();
    } else if (c < 0x20) {
      fail_syntax_at(offset_now() - 1, "control character " + describe_byte(c) +
                                           " inside a string (it must be escaped)");
    } else if (c >= 0x80) {
      const std::uint64_t sequence_start = offset_now() - 1;
      const std::size_t announced = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      char sequence[4] = {static_cast<char>(c)};
      std::size_t length = 1;
      while (length < announced) {
        const int next = peek();
        if (next < 0x80 || next > 0xBF) break;
        sequence[length++] = static_cast<char>(take());
      }
      if (length != announced || utf8_sequence_length({sequence, length}) != length) {
        fail_syntax_at(sequence_start, "invalid UTF-8 in a string");
      }
      text_.append(sequence, length);
    } else {
      text_ += static_cast<char>(c);  // a plain byte that began a new chunk
    }
  }
}

void JsonReader::read_escape() {
  const std::uint64_t escape_start = offset_now() - 1;
  const int c = take();
  switch (c) {
    case '"':
    case '\\':
    case '/':
      text_ += static_cast<char>(c);
      return;
    case 'b':
      text_ += '\b';
      return;
    case 'f':
      text_ += '\f';
      return;
    case 'n':
      text_ += '\n';
      return;
    case 'r':
      text_ += '\r';
      return;
    case 't':
      text_ += '\t';
      return;
    case 'u':
      break;
    default:
      fail_syntax_at(
          escape_start,
          "unknown escape \\" + (c < 0 ? describe_byte(c) : std::string(1, static_cast<char>(c))));
  }
  char32_t code_point = read_hex4();
  if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
    fail_syntax_at(escape_start, "unpaired surrogate in a \\u escape (a low surrogate first)");
  }
  if (code_point >= 0xD800 && code_point <= 0xDBFF) {
    if (take() != '\\' || take() != 'u') {
      fail_syntax_at(escape_start,
                     "unpaired surrogate in a \\u escape (no low surrogate after it)");
    }
    const char32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) {
      fail_syntax_at(escape_start,
                     "unpaired surrogate in a \\u escape (no low surrogate after it)");
    }
    code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(text_, code_point);
}

char32_t JsonReader::read_hex4() {
  char32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const int c = peek();
    int digit = 0;
    if (is_digit(c)) {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      fail_syntax("a \\u escape needs four hex digits, found " + describe_byte(c));
    }
    ++position_;
    value = value * 16 + static_cast<char32_t>(digit);
  }
  return value;
}

// ---- numbers and literals ----

void JsonReader::read_number() {
  const auto digits = [&](std::string_view where) {
    if (!is_digit(peek()))
      fail_syntax("expected a digit " + std::string(where) + ", found " + describe_byte(peek()));
    while (is_digit(peek())) text_ += static_cast<char>(take());
  };
  if (peek() == '-') text_ += static_cast<char>(take());
  if (peek() == '0') {
    text_ += static_cast<char>(take());
  } else {
    digits("in a number");
  }
  if (peek() == '.') {
    text_ += static_cast<char>(take());
    digits("after the decimal point");
  }
  if (peek() == 'e' || peek() == 'E') {
    text_ += static_cast<char>(take());
    if (peek() == '+' || peek() == '-') text_ += static_cast<char>(take());
    digits("in the exponent");
  }
}

void JsonReader::read_literal(std::string_view word) {
  for (const char expected : word) {
    if (take() != expected)
      fail_syntax_at(event_offset_, "unknown word (expected true, false or null)");
  }
}

std::uint64_t JsonReader::non_negative_integer(std::string_view what, std::uint64_t max) const {
  const auto refuse = [&] {
    fail(std::string(what) + " must be a non-negative integer no larger than " +
         std::to_string(max) + ", got " +
         (event_ == JsonEvent::number ? "'" + excerpt(text_) + "'"
                                      : std::string(json_event_name(event_))));
  };
  if (event_ != JsonEvent::number) refuse();
  std::uint64_t value = 0;
  for (const char c : text_) {
    if (!is_digit(c)) refuse();
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) refuse();
    value = value * 10 + digit;
  }
  return value;
}

double JsonReader::finite_double(std::string_view what) const {
  if (event_ != JsonEvent::number) {
    fail(std::string(what) + " must be a number, got " + std::string(json_event_name(event_)));
  }
  double value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    if (is_below_double_range(text_)) return text_.front() == '-' ? -0.0 : 0.0;
    fail(std::string(what) + " is too large for a double: '" + excerpt(text_) + "'");
  }
  IHD_CHECK(result.ec == std::errc() && result.ptr == text_.data() + text_.size(),
            "finite_double: a JSON number literal std::from_chars does not read: ", text_);
  return value;
}

void JsonKeySet::add(const JsonReader& reader) {
  IHD_CHECK(reader.event() == JsonEvent::key, "JsonKeySet::add: the reader is not at a key");
  if (!keys_.insert(reader.text()).second)
    reader.fail("duplicate key " + json_quote(reader.text()));
}

// ---- writing ----

std::string json_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : valid_utf8(text)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xF];
        } else {
          out += c;
        }
      }
    }
  }
  return out;
}

std::string json_quote(std::string_view text) {
  return '"' + json_escape(text) + '"';
}

std::string json_number(double value) {
  return std::isfinite(value) ? shortest_decimal(value) : "null";
}

}  // namespace ihd
