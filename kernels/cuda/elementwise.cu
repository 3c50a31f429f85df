// The <Backend::cuda> specializations of kernels/elementwise.h (the sums' kernels and helpers in
// ihd::kernels::cuda; the activations' element rules in kernels/rules/activation.h).
// Elementwise CUDA kernels: one grid-stride loop each (launch.cuh), plus the deterministic sums:
// for the whole tensor, each of a fixed number of blocks adds its strided share in double, then
// one block adds the block totals in order; per column, one thread a column adds its rows in
// order (the CPU's order). The bfloat16 conversions and addition move 8 bfloat16 (16 bytes) per
// load and store where the pointers are aligned for it (bfloat16.cuh), one element otherwise;
// every result is computed in float32 and rounded once, to nearest even.
#include "kernels/cuda/bfloat16.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/elementwise.h"
#include "kernels/rules/activation.h"

namespace ihd::kernels::cuda {
namespace {

// Fixed so that the order of additions, and the result, do not depend on the GPU.
constexpr int kSumBlocks = 1024;

__global__ void sum_partials_kernel(int64_t n, const float* x, double* partials) {
  double total = 0.0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    total += x[i];
  }
  total = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void sum_finish_kernel(int blocks, const double* partials, float* out) {
  double total = 0.0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) total += partials[b];
  total = block_sum(total);
  if (threadIdx.x == 0) *out = static_cast<float>(total);
}

// y = x converted (float32 <-> bfloat16), kWidth elements per thread.
template <int kWidth, typename In, typename Out>
void convert_elements(int64_t n, const In* x, Out* y) {
  for_each_index((n + kWidth - 1) / kWidth, [=] __device__(int64_t k) {
    float values[kWidth] = {};
    load_floats(x, k * kWidth, n, values);
    store_floats(y, k * kWidth, n, values);
  });
}

template <typename In, typename Out>
void convert_vectorised(int64_t n, const In* x, Out* y) {
  if (vector_aligned<kBfloat16VectorWidth>(x, y)) {
    convert_elements<kBfloat16VectorWidth>(n, x, y);
  } else {
    convert_elements<1>(n, x, y);
  }
}

template <int kWidth>
void add_bfloat16(int64_t n, const __nv_bfloat16* a, const __nv_bfloat16* b, __nv_bfloat16* out) {
  for_each_index((n + kWidth - 1) / kWidth, [=] __device__(int64_t k) {
    float sums[kWidth] = {}, addends[kWidth] = {};
    load_floats(a, k * kWidth, n, sums);
    load_floats(b, k * kWidth, n, addends);
#pragma unroll
    for (int j = 0; j < kWidth; ++j) sums[j] += addends[j];
    store_floats(out, k * kWidth, n, sums);
  });
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void fill<Backend::cuda>(int64_t n, float value, float* out) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { out[i] = value; });
}

template <>
void add<Backend::cuda>(int64_t n, const float* a, const float* b, float* out) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { out[i] = a[i] + b[i]; });
}

template <>
void mul<Backend::cuda>(int64_t n, const float* a, const float* b, float* out) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { out[i] = a[i] * b[i]; });
}

template <>
void scale<Backend::cuda>(int64_t n, const float* x, float factor, float* out) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { out[i] = x[i] * factor; });
}

template <>
void broadcast_scalar<Backend::cuda>(int64_t n, const float* scalar, float factor, float* out) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { out[i] = *scalar * factor; });
}

template <>
void sum<Backend::cuda>(int64_t n, const float* x, float* out) {
  const int blocks = static_cast<int>(std::clamp<int64_t>(
      (n + cuda::kThreadsPerBlock - 1) / cuda::kThreadsPerBlock, 1, cuda::kSumBlocks));
  auto* partials = static_cast<double*>(cuda::workspace(sizeof(double) * blocks));
  cuda::sum_partials_kernel<<<blocks, cuda::kThreadsPerBlock, 0, cuda::compute_stream()>>>(
      n, x, partials);
  IHD_CUDA_CHECK_LAUNCH();
  cuda::sum_finish_kernel<<<1, cuda::kThreadsPerBlock, 0, cuda::compute_stream()>>>(blocks,
                                                                                    partials, out);
  IHD_CUDA_CHECK_LAUNCH();
}

template <>
void column_sum<Backend::cuda>(int64_t rows, int64_t columns, const float* x, float* out) {
  cuda::for_each_index(columns, [=] __device__(int64_t c) {
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) total += x[r * columns + c];
    out[c] = static_cast<float>(total);
  });
}

template <>
void relu_forward<Backend::cuda>(int64_t n, const float* x, float* y) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { y[i] = rules::relu(x[i]); });
}

template <>
void relu_backward<Backend::cuda>(int64_t n, const float* y, const float* dy, float* dx) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { dx[i] = rules::relu_gradient(y[i], dy[i]); });
}

template <>
void sigmoid_forward<Backend::cuda>(int64_t n, const float* x, float* y) {
  cuda::for_each_index(n, [=] __device__(int64_t i) { y[i] = rules::sigmoid(x[i]); });
}

template <>
void sigmoid_backward<Backend::cuda>(int64_t n, const float* y, const float* dy, float* dx) {
  cuda::for_each_index(n,
                       [=] __device__(int64_t i) { dx[i] = rules::sigmoid_gradient(y[i], dy[i]); });
}

template <>
void convert<Backend::cuda>(int64_t n, const float* x, bfloat16* y) {
  cuda::convert_vectorised(n, x, cuda::device_type(y));
}

template <>
void convert<Backend::cuda>(int64_t n, const bfloat16* x, float* y) {
  cuda::convert_vectorised(n, cuda::device_type(x), y);
}

template <>
void add<Backend::cuda>(int64_t n, const bfloat16* a, const bfloat16* b, bfloat16* out) {
  const __nv_bfloat16 *a_ = cuda::device_type(a), *b_ = cuda::device_type(b);
  __nv_bfloat16* out_ = cuda::device_type(out);
  if (cuda::vector_aligned<cuda::kBfloat16VectorWidth>(a_, b_, out_)) {
    cuda::add_bfloat16<cuda::kBfloat16VectorWidth>(n, a_, b_, out_);
  } else {
    cuda::add_bfloat16<1>(n, a_, b_, out_);
  }
}

}  // namespace ihd::kernels
