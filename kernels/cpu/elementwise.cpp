// The float32 <Backend::cpu> specializations of kernels/elementwise.h (the bfloat16 ones are in
// mixed_precision.cpp): OpenMP over elements, loops simple enough for the compiler to vectorise;
// the activations' element rules are kernels/rules/activation.h, shared with CUDA.
#include "kernels/elementwise.h"

#include "kernels/rules/activation.h"

namespace ihd::kernels {

// Below this many elements a loop runs on one thread: starting threads would cost more.
constexpr int64_t kParallelThreshold = 1 << 15;

template <>
void fill<Backend::cpu>(int64_t n, float value, float* out) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = value;
}

template <>
void add<Backend::cpu>(int64_t n, const float* a, const float* b, float* out) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

template <>
void mul<Backend::cpu>(int64_t n, const float* a, const float* b, float* out) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

template <>
void scale<Backend::cpu>(int64_t n, const float* x, float factor, float* out) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * factor;
}

template <>
void broadcast_scalar<Backend::cpu>(int64_t n, const float* scalar, float factor, float* out) {
  fill<Backend::cpu>(n, *scalar * factor, out);
}

template <>
void sum<Backend::cpu>(int64_t n, const float* x, float* out) {
  double total = 0.0;
#pragma omp parallel for simd reduction(+ : total) if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) total += x[i];
  *out = static_cast<float>(total);
}

template <>
void column_sum<Backend::cpu>(int64_t rows, int64_t columns, const float* x, float* out) {
#pragma omp parallel for if (rows * columns > kParallelThreshold)
  for (int64_t c = 0; c < columns; ++c) {
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) total += x[r * columns + c];
    out[c] = static_cast<float>(total);
  }
}

template <>
void relu_forward<Backend::cpu>(int64_t n, const float* x, float* y) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = rules::relu(x[i]);
}

template <>
void relu_backward<Backend::cpu>(int64_t n, const float* y, const float* dy, float* dx) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) dx[i] = rules::relu_gradient(y[i], dy[i]);
}

template <>
void sigmoid_forward<Backend::cpu>(int64_t n, const float* x, float* y) {
#pragma omp parallel for if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = rules::sigmoid(x[i]);
}

template <>
void sigmoid_backward<Backend::cpu>(int64_t n, const float* y, const float* dy, float* dx) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) dx[i] = rules::sigmoid_gradient(y[i], dy[i]);
}

}  // namespace ihd::kernels
