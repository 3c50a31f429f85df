// The bfloat16 <Backend::cpu> specializations (declared beside their float32 versions in
// kernels/elementwise.h, batch_norm.h, conv2d.h and pooling.h). Each one widens its bfloat16
// operands to float32, runs the float32 kernel, and rounds each bfloat16 result once: by
// construction this is the semantics the CUDA kernels must meet (float32 arithmetic on bfloat16
// values, one rounding per stored value), which makes the CPU path the reference for mixed
// precision. It costs a float32 copy of each operand. The convolutions here are the reference
// only: conv2d.cpp runs oneDNN's bfloat16 primitives instead where the CPU has them.
#include <vector>

#include "kernels/bfloat16.h"
#include "kernels/cpu/conv2d_reference.h"
#include "kernels/kernels.h"

namespace ihd::kernels {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;

}  // namespace

// The conversions come first: widen and narrow below call them.
template <>
void convert<Backend::cpu>(int64_t n, const float* x, bfloat16* y) {
#pragma omp parallel for if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = to_bfloat16(x[i]);
}

template <>
void convert<Backend::cpu>(int64_t n, const bfloat16* x, float* y) {
#pragma omp parallel for if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = to_float(x[i]);
}

namespace {

// A float32 copy of n bfloat16 values; empty for a null pointer (an absent optional operand).
std::vector<float> widen(int64_t n, const bfloat16* values) {
  if (values == nullptr) return {};
  std::vector<float> result(static_cast<std::size_t>(n));
  convert<Backend::cpu>(n, values, result.data());
  return result;
}

float* or_null(std::vector<float>& values) {
  return values.empty() ? nullptr : values.data();
}

void narrow(const std::vector<float>& values, bfloat16* out) {
  if (out != nullptr)
    convert<Backend::cpu>(static_cast<int64_t>(values.size()), values.data(), out);
}

}  // namespace

template <>
void add<Backend::cpu>(int64_t n, const bfloat16* a, const bfloat16* b, bfloat16* out) {
#pragma omp parallel for if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = to_bfloat16(to_float(a[i]) + to_float(b[i]));
}

template <>
void batch_norm_statistics<Backend::cpu>(int64_t rows, int channels, const bfloat16* x, float eps,
                                         float* mean, float* invstd) {
  const std::vector<float> x32 = widen(rows * channels, x);
  batch_norm_statistics<Backend::cpu>(rows, channels, x32.data(), eps, mean, invstd);
}

template <>
void batch_norm_apply<Backend::cpu>(int64_t rows, int channels, const bfloat16* x,
                                    const float* mean, const float* invstd, const float* gamma,
                                    const float* beta, const bfloat16* residual, bool relu,
                                    bfloat16* y) {
  const int64_t n = rows * channels;
  const std::vector<float> x32 = widen(n, x);
  std::vector<float> residual32 = widen(n, residual);
  std::vector<float> y32(static_cast<std::size_t>(n));
  batch_norm_apply<Backend::cpu>(rows, channels, x32.data(), mean, invstd, gamma, beta,
                                 or_null(residual32), relu, y32.data());
  narrow(y32, y);
}

template <>
void batch_norm_moments<Backend::cpu>(int64_t rows, int channels, const bfloat16* x, float* mean,
                                      float* centred_square_sum) {
  const std::vector<float> x32 = widen(rows * channels, x);
  batch_norm_moments<Backend::cpu>(rows, channels, x32.data(), mean, centred_square_sum);
}

template <>
void batch_norm_backward_reduce<Backend::cpu>(int64_t rows, int channels, const bfloat16* x,
                                              const bfloat16* y, const bfloat16* dy,
                                              const float* mean, const float* invstd, bool relu,
                                              float* dgamma, float* dbeta) {
  const int64_t n = rows * channels;
  const std::vector<float> x32 = widen(n, x), y32 = widen(n, y), dy32 = widen(n, dy);
  batch_norm_backward_reduce<Backend::cpu>(rows, channels, x32.data(), y32.data(), dy32.data(),
                                           mean, invstd, relu, dgamma, dbeta);
}

template <>
void batch_norm_backward_input<Backend::cpu>(int64_t rows, int64_t total_rows, int channels,
                                             const bfloat16* x, const bfloat16* y,
                                             const bfloat16* dy, const float* mean,
                                             const float* invstd, const float* gamma, bool relu,
                                             bool batch_statistics, const float* dgamma,
                                             const float* dbeta, bfloat16* dx,
                                             bfloat16* dresidual) {
  const int64_t n = rows * channels;
  const std::vector<float> x32 = widen(n, x), y32 = widen(n, y), dy32 = widen(n, dy);
  std::vector<float> dx32(static_cast<std::size_t>(n));
  std::vector<float> dresidual32(dresidual != nullptr ? static_cast<std::size_t>(n) : 0);
  batch_norm_backward_input<Backend::cpu>(rows, total_rows, channels, x32.data(), y32.data(),
                                          dy32.data(), mean, invstd, gamma, relu, batch_statistics,
                                          dgamma, dbeta, dx32.data(), or_null(dresidual32));
  narrow(dx32, dx);
  narrow(dresidual32, dresidual);
}

// The bfloat16 convolutions' reference (kernels/cpu/conv2d_reference.h); conv2d.cpp runs
// oneDNN's bfloat16 primitives instead where it has them.
void cpu::conv2d_forward_widened(const Conv2dGeometry& g, const bfloat16* x, const bfloat16* w,
                                 bfloat16* y) {
  const std::vector<float> x32 = widen(g.input_elements(), x);
  const std::vector<float> w32 = widen(g.weight_elements(), w);
  std::vector<float> y32(static_cast<std::size_t>(g.output_elements()));
  conv2d_forward<Backend::cpu>(g, x32.data(), w32.data(), nullptr, y32.data());
  narrow(y32, y);
}

void cpu::conv2d_backward_data_widened(const Conv2dGeometry& g, const bfloat16* dy,
                                       const bfloat16* w, bfloat16* dx) {
  const std::vector<float> dy32 = widen(g.output_elements(), dy);
  const std::vector<float> w32 = widen(g.weight_elements(), w);
  std::vector<float> dx32(static_cast<std::size_t>(g.input_elements()));
  conv2d_backward_data<Backend::cpu>(g, dy32.data(), w32.data(), dx32.data());
  narrow(dx32, dx);
}

void cpu::conv2d_backward_weight_widened(const Conv2dGeometry& g, const bfloat16* x,
                                         const bfloat16* dy, bfloat16* dw) {
  const std::vector<float> x32 = widen(g.input_elements(), x);
  const std::vector<float> dy32 = widen(g.output_elements(), dy);
  std::vector<float> dw32(static_cast<std::size_t>(g.weight_elements()));
  conv2d_backward_weight<Backend::cpu>(g, x32.data(), dy32.data(), dw32.data(), nullptr);
  narrow(dw32, dw);
}

template <>
void max_pool2d_forward<Backend::cpu>(const Pool2dGeometry& g, const bfloat16* x, bfloat16* y) {
  const std::vector<float> x32 = widen(g.input_elements(), x);
  std::vector<float> y32(static_cast<std::size_t>(g.output_elements()));
  max_pool2d_forward<Backend::cpu>(g, x32.data(), y32.data());
  narrow(y32, y);
}

template <>
void max_pool2d_backward<Backend::cpu>(const Pool2dGeometry& g, const bfloat16* x,
                                       const bfloat16* y, const bfloat16* dy, bfloat16* dx) {
  const std::vector<float> x32 = widen(g.input_elements(), x);
  const std::vector<float> y32 = widen(g.output_elements(), y);
  const std::vector<float> dy32 = widen(g.output_elements(), dy);
  std::vector<float> dx32(static_cast<std::size_t>(g.input_elements()));
  max_pool2d_backward<Backend::cpu>(g, x32.data(), y32.data(), dy32.data(), dx32.data());
  narrow(dx32, dx);
}

template <>
void global_avg_pool_forward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                           const bfloat16* x, float* y) {
  const std::vector<float> x32 = widen(batch * pixels * channels, x);
  global_avg_pool_forward<Backend::cpu>(batch, pixels, channels, x32.data(), y);
}

template <>
void global_avg_pool_backward<Backend::cpu>(int batch, int64_t pixels, int channels,
                                            const float* dy, bfloat16* dx) {
  std::vector<float> dx32(static_cast<std::size_t>(batch * pixels * channels));
  global_avg_pool_backward<Backend::cpu>(batch, pixels, channels, dy, dx32.data());
  narrow(dx32, dx);
}

}  // namespace ihd::kernels
