// The <Backend::cuda> specializations of kernels/conv2d.h: convolutions through cuDNN in NHWC
// (helpers in ihd::kernels::cuda). Each distinct shape (geometry + data type + numeric policy)
// gets one ConvolutionPlan: its tensor, filter and convolution descriptors, and for each direction
// the algorithm that cudnnFind measured fastest the first time that direction ran, among those
// that obey the policy (deterministic if asked; see context.h). Every call then runs its cached
// algorithm in the one shared workspace.
//   float32: x, w, y float32; true float32 (FMA math) unless TF32 is allowed;
//   bfloat16: x, w, y (and dx, dw) CUDNN_DATA_BFLOAT16, products accumulated in float32 (the
//     convolution's compute type), tensor-core math; each stored value is rounded once.
// The fused inference forward is the cuDNN convolution with its bias, then the elementwise add and
// ReLU kernels in place (bfloat16: the convolution, then one pass for the bias, the residual and
// the ReLU, conv2d_tail.h); prepared weights are a copy of the OHWI weights (cuDNN's NHWC
// filters).
#include "kernels/conv2d.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/conv2d_tail.h"
#include "kernels/cuda/memory.h"
#include "kernels/elementwise.h"

namespace ihd::kernels::cuda {
namespace {

// Upper bound on the workspace an algorithm may use, and on what cudnnFind may try.
constexpr std::size_t kMaxWorkspaceBytes = std::size_t{1} << 30;

struct ChosenAlgorithm {
  int algorithm = -1;  // cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  cudnnMathType_t math = CUDNN_FMA_MATH;
  std::size_t workspace_bytes = 0;
  bool chosen() const { return algorithm >= 0; }
};

class ConvolutionPlan {
 public:
  // type: CUDNN_DATA_FLOAT or CUDNN_DATA_BFLOAT16, for x, w and y alike. The bias descriptor
  // (float32 only) serves float32 plans.
  ConvolutionPlan(const Conv2dGeometry& g, cudnnDataType_t type) : data_type(type) {
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    IHD_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    IHD_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&convolution));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, data_type, g.batch,
                                               g.in_channels, g.in_height, g.in_width));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, data_type, g.batch,
                                               g.out_channels, g.out_height(), g.out_width()));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, 1,
                                               g.out_channels, 1, 1));
    IHD_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, data_type, CUDNN_TENSOR_NHWC, g.out_channels,
                                               g.in_channels, g.kernel_height, g.kernel_width));
    IHD_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(convolution, g.padding, g.padding, g.stride,
                                                    g.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                    CUDNN_DATA_FLOAT));
    IHD_CUDNN_CHECK(cudnnSetConvolutionMathType(convolution, search_math()));
  }
  ~ConvolutionPlan() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(bias);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(convolution);
  }
  ConvolutionPlan(const ConvolutionPlan&) = delete;
  ConvolutionPlan& operator=(const ConvolutionPlan&) = delete;

  // Whether algorithms may use tensor cores: always for bfloat16, for float32 if TF32 is allowed.
  bool tensor_cores_allowed() const { return data_type == CUDNN_DATA_BFLOAT16 || tf32_allowed(); }

  // The math type cudnnFind searches under: FMA only, or tensor cores (TF32 for float32).
  cudnnMathType_t search_math() const {
    if (data_type == CUDNN_DATA_BFLOAT16) return CUDNN_TENSOR_OP_MATH;
    return tf32_allowed() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  }

  // Sets the convolution descriptor's math type for `chosen` and returns its workspace.
  void* prepare(const ChosenAlgorithm& chosen) {
    IHD_CUDNN_CHECK(cudnnSetConvolutionMathType(
        convolution, tensor_cores_allowed() ? chosen.math : CUDNN_FMA_MATH));
    return chosen.workspace_bytes ? workspace(chosen.workspace_bytes) : nullptr;
  }

  const cudnnDataType_t data_type;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t convolution = nullptr;
  ChosenAlgorithm forward, backward_data, backward_filter;
};

using PlanKey = std::tuple<int, int, int, int, int, int, int, int, int, int, bool, bool>;

ConvolutionPlan& plan_for(const Conv2dGeometry& g, cudnnDataType_t data_type) {
  static std::mutex mutex;
  static auto* plans = new std::map<PlanKey, std::unique_ptr<ConvolutionPlan>>;
  // TF32 changes nothing for bfloat16: one bfloat16 plan serves both policies.
  const bool tf32 = data_type == CUDNN_DATA_FLOAT && tf32_allowed();
  const PlanKey key{g.batch,        g.in_height,
                    g.in_width,     g.in_channels,
                    g.out_channels, g.kernel_height,
                    g.kernel_width, g.stride,
                    g.padding,      static_cast<int>(data_type),
                    tf32,           deterministic_convolutions()};
  std::lock_guard lock(mutex);
  auto& plan = (*plans)[key];
  if (!plan) plan = std::make_unique<ConvolutionPlan>(g, data_type);
  return *plan;
}

// What cudnnFind may use: the smaller of kMaxWorkspaceBytes and a quarter of the free memory.
std::size_t search_workspace_bytes() {
  std::size_t free_bytes = 0, total_bytes = 0;
  IHD_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return std::min(kMaxWorkspaceBytes, free_bytes / 4);
}

// The fastest of cudnnFind's results (sorted by time) that ran and obeys the policy.
template <typename Perf>
ChosenAlgorithm fastest_allowed(const ConvolutionPlan& plan, const Perf* results, int count,
                                const char* direction) {
  for (int i = 0; i < count; ++i) {
    const Perf& result = results[i];
    if (result.status != CUDNN_STATUS_SUCCESS) continue;
    if (deterministic_convolutions() && result.determinism != CUDNN_DETERMINISTIC) continue;
    const bool uses_tensor_cores = result.mathType == CUDNN_TENSOR_OP_MATH ||
                                   result.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (!plan.tensor_cores_allowed() && uses_tensor_cores) continue;
    return {static_cast<int>(result.algo), result.mathType, result.memory};
  }
  const char* numbers = plan.data_type == CUDNN_DATA_BFLOAT16 ? "bfloat16"
                        : tf32_allowed()                      ? "float32 with TF32"
                                                              : "true float32";
  throw CudaError(std::string("cuDNN offers no ") + direction +
                  " convolution algorithm for this shape under the current policy (" + numbers +
                  (deterministic_convolutions() ? ", deterministic" : "") + ")");
}

// The three directions for either data type (pointers to data_type elements); each returns the
// plan it ran.

ConvolutionPlan& forward(const Conv2dGeometry& geometry, cudnnDataType_t data_type, const void* x,
                         const void* w, void* y) {
  ConvolutionPlan& plan = plan_for(geometry, data_type);
  if (!plan.forward.chosen()) {
    cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        cudnn_handle(), plan.x, x, plan.w, w, plan.convolution, plan.y, y,
        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results, workspace(search_bytes), search_bytes));
    plan.forward = fastest_allowed(plan, results, count, "forward");
  }
  void* scratch = plan.prepare(plan.forward);
  const float one = 1.0f, zero = 0.0f;  // scaling factors are float for float and bfloat16 data
  IHD_CUDNN_CHECK(
      cudnnConvolutionForward(cudnn_handle(), &one, plan.x, x, plan.w, w, plan.convolution,
                              static_cast<cudnnConvolutionFwdAlgo_t>(plan.forward.algorithm),
                              scratch, plan.forward.workspace_bytes, &zero, plan.y, y));
  return plan;
}

ConvolutionPlan& backward_data(const Conv2dGeometry& geometry, cudnnDataType_t data_type,
                               const void* dy, const void* w, void* dx) {
  ConvolutionPlan& plan = plan_for(geometry, data_type);
  if (!plan.backward_data.chosen()) {
    cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        cudnn_handle(), plan.w, w, plan.y, dy, plan.convolution, plan.x, dx,
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results, workspace(search_bytes),
        search_bytes));
    plan.backward_data = fastest_allowed(plan, results, count, "backward-data");
  }
  void* scratch = plan.prepare(plan.backward_data);
  const float one = 1.0f, zero = 0.0f;
  IHD_CUDNN_CHECK(cudnnConvolutionBackwardData(
      cudnn_handle(), &one, plan.w, w, plan.y, dy, plan.convolution,
      static_cast<cudnnConvolutionBwdDataAlgo_t>(plan.backward_data.algorithm), scratch,
      plan.backward_data.workspace_bytes, &zero, plan.x, dx));
  return plan;
}

ConvolutionPlan& backward_weight(const Conv2dGeometry& geometry, cudnnDataType_t data_type,
                                 const void* x, const void* dy, void* dw) {
  ConvolutionPlan& plan = plan_for(geometry, data_type);
  if (!plan.backward_filter.chosen()) {
    cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        cudnn_handle(), plan.x, x, plan.y, dy, plan.convolution, plan.w, dw,
        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results, workspace(search_bytes),
        search_bytes));
    plan.backward_filter = fastest_allowed(plan, results, count, "backward-filter");
  }
  void* scratch = plan.prepare(plan.backward_filter);
  const float one = 1.0f, zero = 0.0f;
  IHD_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      cudnn_handle(), &one, plan.x, x, plan.y, dy, plan.convolution,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(plan.backward_filter.algorithm), scratch,
      plan.backward_filter.workspace_bytes, &zero, plan.w, dw));
  return plan;
}

}  // namespace
}  // namespace ihd::kernels::cuda

namespace ihd::kernels {

template <>
void conv2d_forward<Backend::cuda>(const Conv2dGeometry& geometry, const float* x, const float* w,
                                   const float* bias, float* y) {
  cuda::ConvolutionPlan& plan = cuda::forward(geometry, CUDNN_DATA_FLOAT, x, w, y);
  const float one = 1.0f;
  if (bias)
    IHD_CUDNN_CHECK(cudnnAddTensor(cuda::cudnn_handle(), &one, plan.bias, bias, &one, plan.y, y));
}

template <>
void conv2d_backward_data<Backend::cuda>(const Conv2dGeometry& geometry, const float* dy,
                                         const float* w, float* dx) {
  cuda::backward_data(geometry, CUDNN_DATA_FLOAT, dy, w, dx);
}

template <>
void conv2d_backward_weight<Backend::cuda>(const Conv2dGeometry& geometry, const float* x,
                                           const float* dy, float* dw, float* dbias) {
  cuda::ConvolutionPlan& plan = cuda::backward_weight(geometry, CUDNN_DATA_FLOAT, x, dy, dw);
  if (dbias) {
    const float one = 1.0f, zero = 0.0f;
    IHD_CUDNN_CHECK(cudnnConvolutionBackwardBias(cuda::cudnn_handle(), &one, plan.y, dy, &zero,
                                                 plan.bias, dbias));
  }
}

template <>
void conv2d_forward<Backend::cuda>(const Conv2dGeometry& geometry, const bfloat16* x,
                                   const bfloat16* w, bfloat16* y) {
  cuda::forward(geometry, CUDNN_DATA_BFLOAT16, x, w, y);
}

template <>
void conv2d_backward_data<Backend::cuda>(const Conv2dGeometry& geometry, const bfloat16* dy,
                                         const bfloat16* w, bfloat16* dx) {
  cuda::backward_data(geometry, CUDNN_DATA_BFLOAT16, dy, w, dx);
}

template <>
void conv2d_backward_weight<Backend::cuda>(const Conv2dGeometry& geometry, const bfloat16* x,
                                           const bfloat16* dy, bfloat16* dw) {
  cuda::backward_weight(geometry, CUDNN_DATA_BFLOAT16, x, dy, dw);
}

template <>
void conv2d_prepared_weights_bytes<Backend::cuda>(const Conv2dGeometry& geometry,
                                                  bool bfloat16_weights, std::size_t* bytes) {
  *bytes = static_cast<std::size_t>(geometry.weight_elements()) *
           (bfloat16_weights ? sizeof(bfloat16) : sizeof(float));
}

template <>
void conv2d_prepare_weights<Backend::cuda>(const Conv2dGeometry& geometry, const float* w,
                                           void* prepared) {
  cuda::copy_bytes(prepared, true, w, true,
                   static_cast<std::size_t>(geometry.weight_elements()) * sizeof(float));
}

template <>
void conv2d_prepare_weights<Backend::cuda>(const Conv2dGeometry& geometry, const bfloat16* w,
                                           void* prepared) {
  cuda::copy_bytes(prepared, true, w, true,
                   static_cast<std::size_t>(geometry.weight_elements()) * sizeof(bfloat16));
}

template <>
void conv2d_forward_fused<Backend::cuda>(const Conv2dGeometry& geometry, const float* x,
                                         const void* prepared_w, const float* bias,
                                         const float* residual, bool relu, float* y) {
  conv2d_forward<Backend::cuda>(geometry, x, static_cast<const float*>(prepared_w), bias, y);
  if (residual) add<Backend::cuda>(geometry.output_elements(), y, residual, y);
  if (relu) relu_forward<Backend::cuda>(geometry.output_elements(), y, y);
}

template <>
void conv2d_forward_fused<Backend::cuda>(const Conv2dGeometry& geometry, const bfloat16* x,
                                         const void* prepared_w, const float* bias,
                                         const bfloat16* residual, bool relu, bfloat16* y) {
  conv2d_forward<Backend::cuda>(geometry, x, static_cast<const bfloat16*>(prepared_w), y);
  cuda::bias_residual_relu(geometry.output_elements(), geometry.out_channels, bias, residual, relu,
                           y);
}

}  // namespace ihd::kernels
