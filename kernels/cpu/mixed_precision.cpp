// The bfloat16 <Backend::cpu> conversions and add (declared beside their float32 versions in
// kernels/elementwise.h), and the bfloat16 convolutions' reference: widen the bfloat16 operands to
// float32, run the float32 convolution, round each result once (the semantics the CUDA kernels
// and oneDNN's bfloat16 primitives, which conv2d.cpp runs where the CPU has them, are tested
// against). Batch norm and pooling compute on bfloat16 data directly (batch_norm.cpp, pooling.cpp).
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
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = to_bfloat16(x[i]);
}

template <>
void convert<Backend::cpu>(int64_t n, const bfloat16* x, float* y) {
#pragma omp parallel for simd if (n > kParallelThreshold)
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

void narrow(const std::vector<float>& values, bfloat16* out) {
  if (out != nullptr)
    convert<Backend::cpu>(static_cast<int64_t>(values.size()), values.data(), out);
}

}  // namespace

template <>
void add<Backend::cpu>(int64_t n, const bfloat16* a, const bfloat16* b, bfloat16* out) {
#pragma omp parallel for simd if (n > kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = to_bfloat16(to_float(a[i]) + to_float(b[i]));
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

void cpu::conv2d_forward_fused_widened(const Conv2dGeometry& g, const bfloat16* x,
                                       const bfloat16* w, const float* bias,
                                       const bfloat16* residual, bool relu, bfloat16* y) {
  const std::vector<float> x32 = widen(g.input_elements(), x);
  const std::vector<float> w32 = widen(g.weight_elements(), w);
  std::vector<float> y32(static_cast<std::size_t>(g.output_elements()));
  conv2d_forward<Backend::cpu>(g, x32.data(), w32.data(), bias, y32.data());
  if (residual) {
    const std::vector<float> residual32 = widen(g.output_elements(), residual);
    add<Backend::cpu>(g.output_elements(), y32.data(), residual32.data(), y32.data());
  }
  if (relu) relu_forward<Backend::cpu>(g.output_elements(), y32.data(), y32.data());
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

}  // namespace ihd::kernels
