// Scratch memory of the sequence kernels' CUDA twins (gru.cu, temporal_conv.cu): both take the
// batch's lengths in host memory, like a geometry, and need them on the device. One workspace()
// block (context.h) holds the lengths, copied in order on the compute stream, and then room for
// the twin's own scratch floats; it is valid on the compute stream until the next workspace()
// call, so a twin takes it once and calls nothing that uses the workspace while it runs.
// Host-side header for kernels/cuda sources.
#pragma once

#include <cstdint>

namespace ihd::kernels::cuda {

struct SequenceScratch {
  const int* lengths;  // device copy of the batch's lengths
  float* floats;       // the requested floats, uninitialised
};

SequenceScratch sequence_scratch(int batch, const int* host_lengths, int64_t floats);

}  // namespace ihd::kernels::cuda
