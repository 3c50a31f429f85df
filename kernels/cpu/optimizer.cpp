// The <Backend::cpu> specializations of kernels/optimizer.h: SGD and Adam(W) updates, elementwise
// and in parallel. Each rule is written once for both backends, as the update of one element
// (kernels/rules/optimizer.h: sgd_element, adam_element); the per-parameter and the multi-tensor
// versions differ only in how they walk the elements, so their results are bitwise the same.
#include "kernels/optimizer.h"

#include <algorithm>
#include <vector>

#include "kernels/rules/optimizer.h"

namespace ihd::kernels {
namespace {

// Work below this many elements runs on one thread.
constexpr int64_t kParallelElements = 32768;
// Elements per task of the multi-tensor updates.
constexpr int64_t kChunkElements = 16384;

// Calls update(slice, begin, end) over all the slices' elements in chunks of kChunkElements (the
// last chunk of a slice may be shorter), the chunks shared evenly among the threads.
template <typename Update>
void for_each_chunk(const ParameterSlice* slices, int count, Update update) {
  std::vector<int64_t> first_chunk(static_cast<std::size_t>(count) + 1, 0);
  int64_t elements = 0;
  for (int s = 0; s < count; ++s) {
    first_chunk[s + 1] = first_chunk[s] + (slices[s].n + kChunkElements - 1) / kChunkElements;
    elements += slices[s].n;
  }
  const int64_t chunks = first_chunk[count];
#pragma omp parallel for schedule(static) if (elements > kParallelElements)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    // The slice whose chunks include this one (slices of size 0 own no chunk).
    const int s = static_cast<int>(std::upper_bound(first_chunk.begin(), first_chunk.end(), chunk) -
                                   first_chunk.begin()) -
                  1;
    const int64_t begin = (chunk - first_chunk[s]) * kChunkElements;
    update(slices[s], begin, std::min(slices[s].n, begin + kChunkElements));
  }
}

}  // namespace

template <>
void sgd_update<Backend::cpu>(int64_t n, float* param, const float* grad, float* momentum_buffer,
                              const SgdHyper& h, bool first_step) {
#pragma omp parallel for simd if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i)
    rules::sgd_element(i, param, grad, momentum_buffer, h, first_step);
}

template <>
void adam_update<Backend::cpu>(int64_t n, float* param, const float* grad, float* exp_avg,
                               float* exp_avg_sq, const AdamHyper& h) {
  const AdamStepConstants c = adam_step_constants(h);
#pragma omp parallel for simd if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) rules::adam_element(i, param, grad, exp_avg, exp_avg_sq, h, c);
}

template <>
void sgd_update_many<Backend::cpu>(const ParameterSlice* slices, int count, const SgdHyper& h) {
  for_each_chunk(slices, count, [&](const ParameterSlice& s, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      rules::sgd_element(i, s.param, s.grad, s.momentum_buffer, h, s.first_step);
    }
  });
}

template <>
void adam_update_many<Backend::cpu>(const ParameterSlice* slices, int count, const AdamHyper& h) {
  const AdamStepConstants c = adam_step_constants(h);
  for_each_chunk(slices, count, [&](const ParameterSlice& s, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      rules::adam_element(i, s.param, s.grad, s.exp_avg, s.exp_avg_sq, h, c);
    }
  });
}

}  // namespace ihd::kernels
