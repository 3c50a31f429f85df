// The safetensors reader and writer: the header read against its schema by common/json's pull
// reader as it streams from the file (a root that is not an object is refused at its first byte,
// a 17th dimension as it appears; no JSON tree is built, so memory follows what the header holds,
// not its length), the header's validation against the file, dtype conversion, and the atomic
// writer (temporary file, fsync, rename; fault point "checkpoint-write" halfway through).
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
#include <utility>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/fault_injection.h"
#include "common/json.h"

namespace ihd {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader copies bytes as they are");

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

// ---- the header, read against its schema ----

[[noreturn]] void fail_in(const std::string& path, const std::string& what) {
  throw Error("safetensors file '" + path + "': " + what);
}

// A tensor or key name as a message shows it: in single quotes, escaped so the message stays on
// one line whatever bytes the name holds.
std::string printable_name(const std::string& name) {
  std::string printable = "'";
  printable += json_escape(name);
  printable += '\'';
  return printable;
}

struct HeaderEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

// Reads the entry of tensor `name`, {"dtype": .., "shape": [..], "data_offsets": [begin, end]},
// and checks that its byte range matches its dtype and shape.
HeaderEntry read_tensor_entry(JsonReader& json, std::string name) {
  const std::string where = "tensor " + printable_name(name);
  if (json.next() != JsonEvent::begin_object) json.fail(where + " is not a JSON object");
  HeaderEntry entry;
  entry.name = std::move(name);
  JsonKeySet keys;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  while (json.next() == JsonEvent::key) {  // inside an object: a key or the object's end
    keys.add(json);
    const std::string key = json.text();
    if (key == "dtype") {
      if (json.next() != JsonEvent::string) json.fail(where + ": dtype must be a string");
      entry.dtype = json.text();
      has_dtype = true;
    } else if (key == "shape") {
      if (json.next() != JsonEvent::begin_array) json.fail(where + ": shape must be an array");
      while (json.next() != JsonEvent::end_array) {
        if (entry.shape.size() == static_cast<std::size_t>(kSafetensorsMaxRank)) {
          json.fail(where + ": shape has more than " + std::to_string(kSafetensorsMaxRank) +
                    " dimensions");
        }
        entry.shape.push_back(static_cast<int64_t>(json.non_negative_integer(
            where + ": a shape entry", std::numeric_limits<int64_t>::max())));
      }
      has_shape = true;
    } else if (key == "data_offsets") {
      const std::string malformed = where + ": data_offsets must be an array [begin, end]";
      if (json.next() != JsonEvent::begin_array) json.fail(malformed);
      for (uint64_t* bound : {&entry.begin, &entry.end}) {
        if (json.next() != JsonEvent::number) json.fail(malformed);
        *bound = json.non_negative_integer(where + ": a data offset");
      }
      if (json.next() != JsonEvent::end_array) json.fail(malformed);
      has_offsets = true;
    } else {
      json.fail(where + ": unexpected key " + printable_name(key));
    }
  }
  if (!has_dtype || !has_shape || !has_offsets) {
    json.fail(where + " lacks dtype, shape or data_offsets");
  }
  const std::size_t element_bytes = stored_dtype_bytes(entry.dtype);
  if (element_bytes == 0) {
    json.fail(where + " has unsupported dtype " + printable_name(entry.dtype) +
              " (supported: F64, F32, F16, BF16, I64)");
  }
  if (entry.begin > entry.end) json.fail(where + ": data_offsets begin after they end");
  // Byte count from the shape, refusing overflow.
  uint64_t expected_bytes = element_bytes;
  for (const int64_t size : entry.shape) {
    const auto usize = static_cast<uint64_t>(size);
    if (usize != 0 && expected_bytes > std::numeric_limits<uint64_t>::max() / usize) {
      json.fail(where + ": shape is too large");
    }
    expected_bytes *= usize;
  }
  if (entry.end - entry.begin != expected_bytes) {
    json.fail(where + ": data_offsets span " + std::to_string(entry.end - entry.begin) +
              " bytes but dtype " + entry.dtype + " and shape " + Shape(entry.shape).to_string() +
              " need " + std::to_string(expected_bytes));
  }
  return entry;
}

// Reads "__metadata__", an object of string values.
void read_metadata(JsonReader& json, std::map<std::string, std::string>& metadata) {
  if (json.next() != JsonEvent::begin_object) json.fail("__metadata__ is not an object");
  JsonKeySet keys;
  while (json.next() == JsonEvent::key) {
    keys.add(json);
    std::string key = json.text();
    if (json.next() != JsonEvent::string) {
      json.fail("__metadata__ value of " + printable_name(key) + " is not a string");
    }
    metadata[std::move(key)] = json.text();
  }
}

// Reads the header, the next `header_bytes` bytes of `in`, as it streams past (no tree, nothing
// kept but names, shapes and metadata), and checks every entry against the data section's size.
std::vector<HeaderEntry> read_header(std::istream& in, uint64_t header_bytes, uint64_t data_bytes,
                                     const std::string& path,
                                     std::map<std::string, std::string>& metadata) {
  JsonReader json(in, header_bytes,
                  {"safetensors file '" + path + "'", ErrorKind::general, "JSON header",
                   kSafetensorsMaxHeaderBytes, kSafetensorsMaxJsonDepth});
  if (json.next() != JsonEvent::begin_object) json.fail("the header is not a JSON object");
  std::vector<HeaderEntry> entries;
  JsonKeySet names;
  while (json.next() == JsonEvent::key) {
    names.add(json);
    std::string name = json.text();
    if (name == "__metadata__") {
      read_metadata(json, metadata);
    } else {
      entries.push_back(read_tensor_entry(json, std::move(name)));
    }
  }
  json.next();  // the end of the document: only whitespace may follow the object
  std::sort(entries.begin(), entries.end(),
            [](const HeaderEntry& a, const HeaderEntry& b) { return a.begin < b.begin; });
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].end > data_bytes) {
      fail_in(path, "tensor " + printable_name(entries[i].name) + ": data_offsets [" +
                        std::to_string(entries[i].begin) + ", " + std::to_string(entries[i].end) +
                        "] run past the end of the data section (" + std::to_string(data_bytes) +
                        " bytes): the file is truncated or corrupt");
    }
    if (i > 0 && entries[i].begin < entries[i - 1].end) {
      fail_in(path, "tensors " + printable_name(entries[i - 1].name) + " and " +
                        printable_name(entries[i].name) + " overlap in the data section");
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
      throw Error("safetensors tensor " + printable_name(name) + " has dtype " + dtype +
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
  if (entry == nullptr) fail_in(path, "no tensor named " + printable_name(name));
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

  SafetensorsFile file;
  file.path = path;
  const uint64_t data_start = 8 + header_bytes;
  for (const HeaderEntry& entry :
       read_header(in, header_bytes, file_bytes - data_start, path, file.metadata)) {
    SafetensorsEntry& tensor = file.tensors.emplace_back();
    tensor.name = entry.name;
    tensor.dtype = entry.dtype;
    tensor.shape = Shape(entry.shape);
    tensor.bytes.resize(entry.end - entry.begin);
    in.seekg(static_cast<std::streamoff>(data_start + entry.begin));
    in.read(reinterpret_cast<char*>(tensor.bytes.data()),
            static_cast<std::streamsize>(tensor.bytes.size()));
    if (!in) fail_in(path, "cannot read the data of tensor " + printable_name(entry.name));
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
