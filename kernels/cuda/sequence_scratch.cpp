// sequence_scratch: one workspace block, the lengths first, padded to 256 bytes (cudaMalloc's
// alignment, so that the floats after them are aligned too), then the floats.
#include "kernels/cuda/sequence_scratch.h"

#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/cuda/memory.h"

namespace ihd::kernels::cuda {

SequenceScratch sequence_scratch(int batch, const int* host_lengths, int64_t floats) {
  constexpr std::size_t kAlignmentBytes = 256;
  const std::size_t length_bytes = sizeof(int) * static_cast<std::size_t>(batch);
  const std::size_t padded_length_bytes =
      (length_bytes + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
  auto* block = static_cast<std::byte*>(
      workspace(padded_length_bytes + sizeof(float) * static_cast<std::size_t>(floats)));
  copy_bytes(block, true, host_lengths, false, length_bytes);
  return {reinterpret_cast<const int*>(block),
          reinterpret_cast<float*>(block + padded_length_bytes)};
}

}  // namespace ihd::kernels::cuda
