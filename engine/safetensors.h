// Reading and writing the safetensors format, the weight format PyTorch users exchange, with our
// own hardened reader (no third-party code).
//
// A safetensors file is: an 8-byte little-endian header length N; N bytes of JSON, an object that
// maps each tensor name to {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} and may
// hold a "__metadata__" object of string -> string; then the data section, each tensor's raw
// little-endian bytes at [begin, end) relative to the start of the data section.
//
// The reader trusts nothing: the header length is bounded, the header is read by common/json's
// strict pull reader as it streams from the file (depth bounded, duplicate keys refused, each
// value checked against the schema as it arrives, no tree built), every tensor's byte range must
// match its dtype and shape, lie inside the file and not overlap another. Any violation throws
// ihd::Error naming the file and, where one is involved, the tensor. The writer writes to a
// temporary file beside the target and renames it into place, so a reader never sees a half-written
// file.
//
// Dtypes read: F64, F32, F16, BF16, I64. As tensors, F16/BF16/F64 become float32 (our compute
// type) and I64 stays int64; F64 values can also be read at full precision with to_doubles().
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "engine/module.h"
#include "engine/tensor.h"

namespace ihd {

// One tensor of a safetensors file, as stored: its dtype name ("F32", ...), shape and raw bytes.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  Shape shape;
  std::vector<std::byte> bytes;

  // A host tensor: float32 for F64/F32/F16/BF16 (converted), int64 for I64.
  Tensor to_tensor() const;
  // The values at double precision (any dtype but I64).
  std::vector<double> to_doubles() const;
};

struct SafetensorsFile {
  std::string path;
  std::vector<SafetensorsEntry> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;

  // The entry called `name`, or nullptr.
  const SafetensorsEntry* find(const std::string& name) const;
  // The entry called `name`; throws ihd::Error naming `path` if it is absent.
  const SafetensorsEntry& at(const std::string& name) const;
};

// Limits that keep a hostile file from exhausting memory: the header length of the format's
// reference implementation (100 MB), the depth its schema needs (root object, tensor object,
// shape array), and a rank no real tensor reaches.
constexpr std::size_t kSafetensorsMaxHeaderBytes = 100'000'000;
constexpr int kSafetensorsMaxJsonDepth = 3;
constexpr int kSafetensorsMaxRank = 16;

SafetensorsFile read_safetensors(const std::string& path);

// Writes the tensors (float32 as F32, bfloat16 as BF16, float16 as F16, int64 as I64; any device)
// in the given order, with optional metadata, atomically.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ihd
