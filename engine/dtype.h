// Element types a tensor can hold. float32 is the compute type everywhere; bfloat16 and float16
// are storage types for the CUDA backend's mixed precision; int64 exists for PyTorch's
// num_batches_tracked buffers, so that state dicts round-trip exactly.
#pragma once

#include <cstddef>
#include <string_view>

namespace ihd {

enum class DType { f32, bf16, f16, i64 };

constexpr std::size_t dtype_size_bytes(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::bf16:
      return 2;
    case DType::f16:
      return 2;
    case DType::i64:
      return 8;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "float32";
    case DType::bf16:
      return "bfloat16";
    case DType::f16:
      return "float16";
    case DType::i64:
      return "int64";
  }
  return "?";
}

}  // namespace ihd
