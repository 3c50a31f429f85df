// The <Backend::cpu> specializations of kernels/conv2d.h: oneDNN where the build has it and it
// takes the geometry (kernels/cpu/conv2d_onednn.h), else the reference
// (kernels/cpu/conv2d_reference.h): im2col + BLAS for float32; for bfloat16, oneDNN's bfloat16
// primitives (float32 accumulation) where the CPU has bfloat16 instructions (avx512_bf16, AMX),
// else the operands widened, the float32 convolution, each result rounded once. (On AVX-512 CPUs
// without them oneDNN emulates the instructions, slower than the widened path on its float32
// kernels: 1.9 against 3.2 - 3.8 training images/s on one core of an Ice Lake Xeon, bench/RESULTS.md).
// The reference of the fused inference forward is the convolution with its bias, then the
// residual add and the ReLU in place (in bfloat16: widened, in float32, each output rounded once);
// prepared weights are OHWI as they are where oneDNN does not run them.
#include "kernels/conv2d.h"

#include <cstring>
#include <type_traits>

#include "kernels/cpu/conv2d_path.h"
#include "kernels/cpu/conv2d_reference.h"
#include "kernels/elementwise.h"

#ifdef IHD_WITH_ONEDNN
#include "kernels/cpu/conv2d_onednn.h"
#endif

namespace ihd::kernels {

template <>
void conv2d_forward<Backend::cpu>(const Conv2dGeometry& g, const float* x, const float* w,
                                  const float* bias, float* y) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_forward(g, x, w, bias, y)) return;
#endif
  cpu::conv2d_forward_reference(g, x, w, bias, y);
}

template <>
void conv2d_backward_data<Backend::cpu>(const Conv2dGeometry& g, const float* dy, const float* w,
                                        float* dx) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_backward_data(g, dy, w, dx)) return;
#endif
  cpu::conv2d_backward_data_reference(g, dy, w, dx);
}

template <>
void conv2d_backward_weight<Backend::cpu>(const Conv2dGeometry& g, const float* x, const float* dy,
                                          float* dw, float* dbias) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_backward_weight(g, x, dy, dw, dbias)) return;
#endif
  cpu::conv2d_backward_weight_reference(g, x, dy, dw, dbias);
}

bool cpu::bfloat16_convolutions_on_onednn() {
#ifdef IHD_WITH_ONEDNN
  static const bool available =
      cpu::onednn_has_bfloat16_instructions() && cpu::onednn_has_bfloat16_convolutions();
  return available;
#else
  return false;
#endif
}

const char* cpu::bfloat16_convolution_path() {
  return bfloat16_convolutions_on_onednn() ? "oneDNN bfloat16 primitives"
                                           : "widened to float32 (reference)";
}

template <>
void conv2d_forward<Backend::cpu>(const Conv2dGeometry& g, const bfloat16* x, const bfloat16* w,
                                  bfloat16* y) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::bfloat16_convolutions_on_onednn() && cpu::onednn_conv2d_forward(g, x, w, y)) return;
#endif
  cpu::conv2d_forward_widened(g, x, w, y);
}

template <>
void conv2d_backward_data<Backend::cpu>(const Conv2dGeometry& g, const bfloat16* dy,
                                        const bfloat16* w, bfloat16* dx) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::bfloat16_convolutions_on_onednn() && cpu::onednn_conv2d_backward_data(g, dy, w, dx))
    return;
#endif
  cpu::conv2d_backward_data_widened(g, dy, w, dx);
}

template <>
void conv2d_backward_weight<Backend::cpu>(const Conv2dGeometry& g, const bfloat16* x,
                                          const bfloat16* dy, bfloat16* dw) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::bfloat16_convolutions_on_onednn() && cpu::onednn_conv2d_backward_weight(g, x, dy, dw))
    return;
#endif
  cpu::conv2d_backward_weight_widened(g, x, dy, dw);
}

namespace {

// Whether weights of T are prepared by oneDNN (a header and its layout), else plain OHWI: float32
// wherever the build has oneDNN, bfloat16 where its bfloat16 convolutions run.
template <typename T>
bool prepared_by_onednn() {
#ifdef IHD_WITH_ONEDNN
  return std::is_same_v<T, float> || cpu::bfloat16_convolutions_on_onednn();
#else
  return false;
#endif
}

template <typename T>
std::size_t prepared_weights_bytes(const Conv2dGeometry& g) {
#ifdef IHD_WITH_ONEDNN
  if (prepared_by_onednn<T>())
    return cpu::onednn_prepared_weights_bytes(g, std::is_same_v<T, bfloat16>);
#endif
  return static_cast<std::size_t>(g.weight_elements()) * sizeof(T);
}

template <typename T>
void prepare_weights(const Conv2dGeometry& g, const T* w, void* prepared) {
#ifdef IHD_WITH_ONEDNN
  if (prepared_by_onednn<T>()) {
    cpu::onednn_prepare_weights(g, w, prepared);
    return;
  }
#endif
  std::memcpy(prepared, w, static_cast<std::size_t>(g.weight_elements()) * sizeof(T));
}

// The prepared weights as OHWI, for the reference.
template <typename T>
const T* prepared_as_ohwi(const Conv2dGeometry& g, const void* prepared) {
#ifdef IHD_WITH_ONEDNN
  if (prepared_by_onednn<T>()) return cpu::onednn_prepared_as_ohwi<T>(g, prepared);
#endif
  (void)g;
  return static_cast<const T*>(prepared);
}

}  // namespace

template <>
void conv2d_prepared_weights_bytes<Backend::cpu>(const Conv2dGeometry& g, bool bfloat16_weights,
                                                 std::size_t* bytes) {
  *bytes =
      bfloat16_weights ? prepared_weights_bytes<bfloat16>(g) : prepared_weights_bytes<float>(g);
}

template <>
void conv2d_prepare_weights<Backend::cpu>(const Conv2dGeometry& g, const float* w, void* prepared) {
  prepare_weights(g, w, prepared);
}

template <>
void conv2d_prepare_weights<Backend::cpu>(const Conv2dGeometry& g, const bfloat16* w,
                                          void* prepared) {
  prepare_weights(g, w, prepared);
}

template <>
void conv2d_forward_fused<Backend::cpu>(const Conv2dGeometry& g, const float* x,
                                        const void* prepared_w, const float* bias,
                                        const float* residual, bool relu, float* y) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::onednn_conv2d_forward_fused(g, x, prepared_w, bias, residual, relu, y)) return;
#endif
  cpu::conv2d_forward_reference(g, x, prepared_as_ohwi<float>(g, prepared_w), bias, y);
  if (residual) add<Backend::cpu>(g.output_elements(), y, residual, y);
  if (relu) relu_forward<Backend::cpu>(g.output_elements(), y, y);
}

template <>
void conv2d_forward_fused<Backend::cpu>(const Conv2dGeometry& g, const bfloat16* x,
                                        const void* prepared_w, const float* bias,
                                        const bfloat16* residual, bool relu, bfloat16* y) {
#ifdef IHD_WITH_ONEDNN
  if (cpu::bfloat16_convolutions_on_onednn() &&
      cpu::onednn_conv2d_forward_fused(g, x, prepared_w, bias, residual, relu, y))
    return;
#endif
  cpu::conv2d_forward_fused_widened(g, x, prepared_as_ohwi<bfloat16>(g, prepared_w), bias, residual,
                                    relu, y);
}

}  // namespace ihd::kernels
