// The <Backend::cuda> specializations of kernels/optimizer.h: SGD (momentum, dampening, Nesterov,
// weight decay) and Adam/AdamW updates on the GPU. Each rule is written once for both backends, as
// the update of one element (kernels/rules/optimizer.h: sgd_element, adam_element), and walked in
// two ways: one elementwise pass per parameter (for_each_index), or one pass over many parameters
// (for_each_slice_element). Both read each parameter, gradient and state once and write them
// once; bias corrections are computed on the host by adam_step_constants (kernels/optimizer.h).
//
// The multi-tensor pass: a table of up to kSlicesPerLaunch parameters, with the index of each
// one's first chunk, is the kernel's argument (__grid_constant__: read in place from the
// constant bank, no copy to device memory, nothing to synchronise). Block b updates chunk b of
// kChunkElements elements and finds its parameter by binary search in the table. Arguments
// above 4 KB need CUDA 12.1 and a Volta or newer GPU; the limit is 32,764 bytes.
#include <climits>

#include "kernels/cuda/launch.cuh"
#include "kernels/optimizer.h"
#include "kernels/rules/optimizer.h"

namespace ihd::kernels::cuda {
namespace {

constexpr int kSlicesPerLaunch = 256;
constexpr int64_t kChunkElements = 8192;
constexpr std::size_t kMaxKernelArgumentBytes = 32764;

struct SliceTable {
  int count = 0;
  ParameterSlice slices[kSlicesPerLaunch];
  int64_t first_chunk[kSlicesPerLaunch + 1] = {0};  // first_chunk[count] = the chunks in all
};
// Room left for the update rule's hyper-parameters (the lambda's captures).
static_assert(sizeof(SliceTable) + 256 <= kMaxKernelArgumentBytes);

template <typename Body>
__global__ void for_each_slice_element_kernel(const __grid_constant__ SliceTable table, Body body) {
  const int64_t chunk = blockIdx.x;
  // The last slice whose first chunk is at or before this one (every slice owns >= 1 chunk).
  int low = 0, high = table.count - 1;
  while (low < high) {
    const int middle = (low + high + 1) / 2;
    if (table.first_chunk[middle] <= chunk) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  const ParameterSlice& slice = table.slices[low];
  const int64_t begin = (chunk - table.first_chunk[low]) * kChunkElements;
  const int64_t end = min(slice.n, begin + kChunkElements);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) body(slice, i);
}

// Runs body(slice, i) for every element i of every slice, on the compute stream, in as few
// launches as the table allows: for_each_slice_element(slices, count, [=] __device__ (const
// ParameterSlice& s, int64_t i) { s.param[i] = ...; });
template <typename Body>
void for_each_slice_element(const ParameterSlice* slices, int count, Body body) {
  SliceTable table;
  const auto launch = [&] {
    if (table.count == 0) return;
    const auto blocks = static_cast<unsigned int>(table.first_chunk[table.count]);
    for_each_slice_element_kernel<<<blocks, kThreadsPerBlock, 0, compute_stream()>>>(table, body);
    IHD_CUDA_CHECK_LAUNCH();
    table.count = 0;
  };
  for (int s = 0; s < count; ++s) {
    if (slices[s].n <= 0) continue;
    const int64_t chunks = (slices[s].n + kChunkElements - 1) / kChunkElements;
    if (table.count == kSlicesPerLaunch || table.first_chunk[table.count] + chunks > INT_MAX) {
      launch();
    }
    table.slices[table.count] = slices[s];
    table.first_chunk[table.count + 1] = table.first_chunk[table.count] + chunks;
    ++table.count;
  }
  launch();
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void sgd_update<Backend::cuda>(int64_t n, float* param, const float* grad, float* momentum_buffer,
                               const SgdHyper& hyper, bool first_step) {
  const SgdHyper h = hyper;
  cuda::for_each_index(n, [=] __device__(int64_t i) {
    rules::sgd_element(i, param, grad, momentum_buffer, h, first_step);
  });
}

template <>
void adam_update<Backend::cuda>(int64_t n, float* param, const float* grad, float* exp_avg,
                                float* exp_avg_sq, const AdamHyper& hyper) {
  const AdamHyper h = hyper;
  const AdamStepConstants c = adam_step_constants(h);
  cuda::for_each_index(n, [=] __device__(int64_t i) {
    rules::adam_element(i, param, grad, exp_avg, exp_avg_sq, h, c);
  });
}

template <>
void sgd_update_many<Backend::cuda>(const ParameterSlice* slices, int count,
                                    const SgdHyper& hyper) {
  const SgdHyper h = hyper;
  cuda::for_each_slice_element(slices, count, [=] __device__(const ParameterSlice& s, int64_t i) {
    rules::sgd_element(i, s.param, s.grad, s.momentum_buffer, h, s.first_step);
  });
}

template <>
void adam_update_many<Backend::cuda>(const ParameterSlice* slices, int count,
                                     const AdamHyper& hyper) {
  const AdamHyper h = hyper;
  const AdamStepConstants c = adam_step_constants(h);
  cuda::for_each_slice_element(slices, count, [=] __device__(const ParameterSlice& s, int64_t i) {
    rules::adam_element(i, s.param, s.grad, s.exp_avg, s.exp_avg_sq, h, c);
  });
}

}  // namespace ihd::kernels
