// The safetensors reader and writer: a small JSON parser for the header (nesting depth bounded,
// duplicate keys rejected), the header's validation against the file, dtype conversion, and the
// atomic writer (temporary file, fsync, rename; fault point "checkpoint-write" halfway through).
#include "engine/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/fault_injection.h"

namespace ihd {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader copies bytes as they are");

// ---- JSON ----

// An object's members are JsonMembers, not std::pairs: a pair of a type still incomplete is not
// portable (clang with libstdc++ rejects it).
struct JsonMember;
struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;  // a string's value or a number's literal
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;
};
struct JsonMember {
  std::string key;
  JsonValue value;
};

// Recursive descent over RFC 8259 JSON; recursion depth is bounded by kSafetensorsMaxJsonDepth.
class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  JsonValue parse_document() {
    JsonValue value = parse_value(0);
    skip_whitespace();
    if (position_ != text_.size()) fail("unexpected text after the top-level value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("safetensors file '" + path_ + "': malformed JSON header at byte " +
                std::to_string(position_) + ": " + what);
  }

  void skip_whitespace() {
    while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\t' ||
                                        text_[position_] == '\n' || text_[position_] == '\r')) {
      ++position_;
    }
  }

  char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }

  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++position_;
  }

  void expect_word(std::string_view word) {
    if (text_.substr(position_, word.size()) != word) fail("unknown literal");
    position_ += word.size();
  }

  JsonValue parse_value(int depth) {
    if (depth > kSafetensorsMaxJsonDepth) fail("nesting deeper than the header format allows");
    skip_whitespace();
    JsonValue value;
    switch (peek()) {
      case '{':
        parse_object(value, depth);
        break;
      case '[':
        parse_array(value, depth);
        break;
      case '"':
        value.kind = JsonValue::Kind::string;
        value.text = parse_string();
        break;
      case 't':
        expect_word("true");
        value.kind = JsonValue::Kind::boolean;
        value.boolean = true;
        break;
      case 'f':
        expect_word("false");
        value.kind = JsonValue::Kind::boolean;
        break;
      case 'n':
        expect_word("null");
        break;
      default:
        value.kind = JsonValue::Kind::number;
        value.text = parse_number();
    }
    return value;
  }

  void parse_object(JsonValue& value, int depth) {
    value.kind = JsonValue::Kind::object;
    expect('{');
    skip_whitespace();
    if (peek() == '}') {
      ++position_;
      return;
    }
    std::unordered_set<std::string> keys;
    while (true) {
      skip_whitespace();
      std::string key = parse_string();
      if (!keys.insert(key).second) fail("duplicate key \"" + key + "\"");
      skip_whitespace();
      expect(':');
      value.members.push_back({std::move(key), parse_value(depth + 1)});
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void parse_array(JsonValue& value, int depth) {
    value.kind = JsonValue::Kind::array;
    expect('[');
    skip_whitespace();
    if (peek() == ']') {
      ++position_;
      return;
    }
    while (true) {
      value.items.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
        continue;
      }
      expect(']');
      return;
    }
  }

  std::string parse_number() {
    const std::size_t start = position_;
    auto digits = [&] {
      const std::size_t first = position_;
      while (peek() >= '0' && peek() <= '9') ++position_;
      if (position_ == first) fail("expected a digit");
    };
    if (peek() == '-') ++position_;
    if (peek() == '0') {
      ++position_;
    } else {
      digits();
    }
    if (peek() == '.') {
      ++position_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++position_;
      if (peek() == '+' || peek() == '-') ++position_;
      digits();
    }
    return std::string(text_.substr(start, position_ - start));
  }

  unsigned parse_hex4() {
    if (position_ + 4 > text_.size()) fail("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("bad hex digit in \\u escape");
      }
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (position_ >= text_.size()) fail("unterminated string");
      const char c = text_[position_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (position_ >= text_.size()) fail("unterminated escape");
      const char escaped = text_[position_++];
      switch (escaped) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = parse_hex4();
          if (code >= 0xD800 && code < 0xDC00) {
            if (text_.substr(position_, 2) != "\\u") fail("unpaired surrogate in \\u escape");
            position_ += 2;
            const unsigned low = parse_hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("unpaired surrogate in \\u escape");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            fail("unpaired surrogate in \\u escape");
          }
          append_utf8(out, code);
          break;
        }
        default:
          fail(std::string("unknown escape \\") + escaped);
      }
    }
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t position_ = 0;
};

// JSON string literal of `text`.
std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[(c >> 4) & 0xF];
      out += kHex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---- dtypes ----

std::size_t stored_dtype_bytes(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;
}

std::string stored_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "F32";
    case DType::bf16:
      return "BF16";
    case DType::f16:
      return "F16";
    case DType::i64:
      return "I64";
  }
  return "?";
}

float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  const uint32_t exponent = (half >> 10) & 0x1F;
  const uint32_t mantissa = half & 0x3FF;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  const uint32_t bits = exponent == 0x1F ? (sign | 0x7F800000u | (mantissa << 13))
                                         : (sign | ((exponent + 112) << 23) | (mantissa << 13));
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(uint16_t value) {
  return std::bit_cast<float>(static_cast<uint32_t>(value) << 16);
}

template <typename T>
T load_element(const std::vector<std::byte>& bytes, std::size_t index) {
  T value;
  std::memcpy(&value, bytes.data() + index * sizeof(T), sizeof(T));
  return value;
}

// ---- header validation ----

[[noreturn]] void fail_in(const std::string& path, const std::string& what) {
  throw Error("safetensors file '" + path + "': " + what);
}

int64_t json_non_negative_integer(const JsonValue& value, const std::string& path,
                                  const std::string& where) {
  const bool digits_only = value.kind == JsonValue::Kind::number && !value.text.empty() &&
                           std::all_of(value.text.begin(), value.text.end(),
                                       [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || value.text.size() > 18) {
    fail_in(path, where + " must be a non-negative integer below 10^18, got '" + value.text + "'");
  }
  return std::stoll(value.text);
}

struct HeaderEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

HeaderEntry parse_tensor_entry(const std::string& name, const JsonValue& value,
                               const std::string& path) {
  const std::string where = "tensor '" + name + "'";
  if (value.kind != JsonValue::Kind::object) fail_in(path, where + " is not a JSON object");
  HeaderEntry entry;
  entry.name = name;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  for (const auto& [key, field] : value.members) {
    if (key == "dtype") {
      if (field.kind != JsonValue::Kind::string) fail_in(path, where + ": dtype must be a string");
      entry.dtype = field.text;
      has_dtype = true;
    } else if (key == "shape") {
      if (field.kind != JsonValue::Kind::array) fail_in(path, where + ": shape must be an array");
      if (field.items.size() > static_cast<std::size_t>(kSafetensorsMaxRank)) {
        fail_in(path, where + ": shape has more than " + std::to_string(kSafetensorsMaxRank) +
                          " dimensions");
      }
      for (const JsonValue& size : field.items) {
        entry.shape.push_back(json_non_negative_integer(size, path, where + ": a shape entry"));
      }
      has_shape = true;
    } else if (key == "data_offsets") {
      if (field.kind != JsonValue::Kind::array || field.items.size() != 2) {
        fail_in(path, where + ": data_offsets must be an array [begin, end]");
      }
      entry.begin = json_non_negative_integer(field.items[0], path, where + ": data_offsets[0]");
      entry.end = json_non_negative_integer(field.items[1], path, where + ": data_offsets[1]");
      has_offsets = true;
    } else {
      fail_in(path, where + ": unexpected key '" + key + "'");
    }
  }
  if (!has_dtype || !has_shape || !has_offsets) {
    fail_in(path, where + " lacks dtype, shape or data_offsets");
  }
  const std::size_t element_bytes = stored_dtype_bytes(entry.dtype);
  if (element_bytes == 0) {
    fail_in(path, where + " has unsupported dtype '" + entry.dtype +
                      "' (supported: F64, F32, F16, BF16, I64)");
  }
  if (entry.begin > entry.end) fail_in(path, where + ": data_offsets begin after they end");
  // Byte count from the shape, refusing overflow: every size is below 10^18.
  uint64_t expected_bytes = element_bytes;
  for (const int64_t size : entry.shape) {
    const auto usize = static_cast<uint64_t>(size);
    if (usize != 0 && expected_bytes > std::numeric_limits<uint64_t>::max() / usize) {
      fail_in(path, where + ": shape is too large");
    }
    expected_bytes *= usize;
  }
  if (entry.end - entry.begin != expected_bytes) {
    fail_in(path, where + ": data_offsets span " + std::to_string(entry.end - entry.begin) +
                      " bytes but dtype " + entry.dtype + " and shape " +
                      Shape(entry.shape).to_string() + " need " + std::to_string(expected_bytes));
  }
  return entry;
}

// Parses the header and checks every entry against the data section's size.
std::vector<HeaderEntry> parse_header(std::string_view header, uint64_t data_bytes,
                                      const std::string& path,
                                      std::map<std::string, std::string>& metadata) {
  const JsonValue root = JsonParser(header, path).parse_document();
  if (root.kind != JsonValue::Kind::object) fail_in(path, "the header is not a JSON object");
  std::vector<HeaderEntry> entries;
  for (const auto& [name, value] : root.members) {
    if (name == "__metadata__") {
      if (value.kind != JsonValue::Kind::object) fail_in(path, "__metadata__ is not an object");
      for (const auto& [key, text] : value.members) {
        if (text.kind != JsonValue::Kind::string) {
          fail_in(path, "__metadata__ value of '" + key + "' is not a string");
        }
        metadata[key] = text.text;
      }
      continue;
    }
    entries.push_back(parse_tensor_entry(name, value, path));
  }
  std::sort(entries.begin(), entries.end(),
            [](const HeaderEntry& a, const HeaderEntry& b) { return a.begin < b.begin; });
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].end > data_bytes) {
      fail_in(path, "tensor '" + entries[i].name + "': data_offsets [" +
                        std::to_string(entries[i].begin) + ", " + std::to_string(entries[i].end) +
                        "] run past the end of the data section (" + std::to_string(data_bytes) +
                        " bytes): the file is truncated or corrupt");
    }
    if (i > 0 && entries[i].begin < entries[i - 1].end) {
      fail_in(path, "tensors '" + entries[i - 1].name + "' and '" + entries[i].name +
                        "' overlap in the data section");
    }
  }
  return entries;
}

}  // namespace

Tensor SafetensorsEntry::to_tensor() const {
  const std::size_t count = static_cast<std::size_t>(shape.numel());
  if (dtype == "I64") {
    Tensor tensor = Tensor::empty(shape, Device::cpu(), DType::i64);
    if (!bytes.empty()) std::memcpy(tensor.raw_data(), bytes.data(), bytes.size());
    return tensor;
  }
  Tensor tensor = Tensor::empty(shape);
  float* out = tensor.data();
  if (dtype == "F32") {
    if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  } else {
    const std::vector<double> values = to_doubles();
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(values[i]);
  }
  return tensor;
}

std::vector<double> SafetensorsEntry::to_doubles() const {
  const std::size_t count = static_cast<std::size_t>(shape.numel());
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (dtype == "F64") {
      values[i] = load_element<double>(bytes, i);
    } else if (dtype == "F32") {
      values[i] = load_element<float>(bytes, i);
    } else if (dtype == "F16") {
      values[i] = half_to_float(load_element<uint16_t>(bytes, i));
    } else if (dtype == "BF16") {
      values[i] = bfloat16_to_float(load_element<uint16_t>(bytes, i));
    } else {
      throw Error("safetensors tensor '" + name + "' has dtype " + dtype +
                  ", which has no floating-point values");
    }
  }
  return values;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const SafetensorsEntry& entry : tensors) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

const SafetensorsEntry& SafetensorsFile::at(const std::string& name) const {
  const SafetensorsEntry* entry = find(name);
  if (entry == nullptr) fail_in(path, "no tensor named '" + name + "'");
  return *entry;
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("cannot open safetensors file '" + path + "'");
  const auto file_bytes = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_bytes < 8) fail_in(path, "shorter than the 8-byte header length");
  uint64_t header_bytes = 0;
  in.read(reinterpret_cast<char*>(&header_bytes), 8);
  if (header_bytes > kSafetensorsMaxHeaderBytes) {
    fail_in(path, "header length " + std::to_string(header_bytes) + " exceeds the limit of " +
                      std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  }
  if (header_bytes > file_bytes - 8) {
    fail_in(path, "header length " + std::to_string(header_bytes) + " runs past the end of the " +
                      std::to_string(file_bytes) + "-byte file");
  }
  std::string header(header_bytes, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_bytes));
  if (!in) fail_in(path, "cannot read the header");

  SafetensorsFile file;
  file.path = path;
  const uint64_t data_start = 8 + header_bytes;
  for (const HeaderEntry& entry :
       parse_header(header, file_bytes - data_start, path, file.metadata)) {
    SafetensorsEntry& tensor = file.tensors.emplace_back();
    tensor.name = entry.name;
    tensor.dtype = entry.dtype;
    tensor.shape = Shape(entry.shape);
    tensor.bytes.resize(entry.end - entry.begin);
    in.seekg(static_cast<std::streamoff>(data_start + entry.begin));
    in.read(reinterpret_cast<char*>(tensor.bytes.data()),
            static_cast<std::streamsize>(tensor.bytes.size()));
    if (!in) fail_in(path, "cannot read the data of tensor '" + entry.name + "'");
  }
  return file;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<Tensor> host_tensors;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ',';
      header += json_quote(key) + ":" + json_quote(value);
      first = false;
    }
    header += "}";
  }
  std::size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    IHD_CHECK(name != "__metadata__", "write_safetensors: '__metadata__' is reserved");
    const Tensor host = tensor.to(Device::cpu());
    std::string shape = "[";
    for (int d = 0; d < host.rank(); ++d) {
      if (d > 0) shape += ',';
      shape += std::to_string(host.size(d));
    }
    if (header.size() > 1) header += ",";
    header += json_quote(name) + ":{\"dtype\":\"" + stored_dtype_name(host.dtype()) +
              "\",\"shape\":" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + host.bytes()) + "]}";
    offset += host.bytes();
    host_tensors.push_back(host);
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // align the data section to 8 bytes

  AtomicFileWriter file(path);
  const uint64_t header_bytes = header.size();
  file.write(&header_bytes, 8);
  file.write(header.data(), header.size());
  const std::span<const Tensor> all(host_tensors);
  const std::size_t half = all.size() / 2;
  for (const Tensor& host : all.first(half)) file.write(host.raw_data(), host.bytes());
  fault_point("checkpoint-write");  // the temporary holds the header and half the tensors
  for (const Tensor& host : all.subspan(half)) file.write(host.raw_data(), host.bytes());
  file.commit();
}

}  // namespace ihd
