// Convolutions through cuDNN in NHWC. Each distinct shape (geometry + numeric policy) gets one
// ConvolutionPlan: its tensor, filter and convolution descriptors, and for each direction the
// algorithm that cudnnFind measured fastest the first time that direction ran, among those that
// obey the policy (true float32 unless TF32 is allowed; deterministic if asked; see context.h).
// Every call then runs its cached algorithm in the one shared workspace.
#include "kernels/cuda/conv2d.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

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
  explicit ConvolutionPlan(const Conv2dGeometry& g) {
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    IHD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    IHD_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    IHD_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&convolution));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, g.batch,
                                               g.in_channels, g.in_height, g.in_width));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, g.batch,
                                               g.out_channels, g.out_height(), g.out_width()));
    IHD_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, 1,
                                               g.out_channels, 1, 1));
    IHD_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                               g.out_channels, g.in_channels, g.kernel_height,
                                               g.kernel_width));
    IHD_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(convolution, g.padding, g.padding, g.stride,
                                                    g.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                    CUDNN_DATA_FLOAT));
    IHD_CUDNN_CHECK(cudnnSetConvolutionMathType(convolution, policy_math()));
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

  // The math type cudnnFind searches under: FMA only, or tensor cores with TF32 allowed.
  static cudnnMathType_t policy_math() {
    return tf32_allowed() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  }

  // Sets the convolution descriptor's math type for `chosen` and returns its workspace.
  void* prepare(const ChosenAlgorithm& chosen) {
    IHD_CUDNN_CHECK(
        cudnnSetConvolutionMathType(convolution, tf32_allowed() ? chosen.math : CUDNN_FMA_MATH));
    return chosen.workspace_bytes ? workspace(chosen.workspace_bytes) : nullptr;
  }

  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t convolution = nullptr;
  ChosenAlgorithm forward, backward_data, backward_filter;
};

using PlanKey = std::tuple<int, int, int, int, int, int, int, int, int, bool, bool>;

ConvolutionPlan& plan_for(const Conv2dGeometry& g) {
  static std::mutex mutex;
  static auto* plans = new std::map<PlanKey, std::unique_ptr<ConvolutionPlan>>;
  const PlanKey key{g.batch,
                    g.in_height,
                    g.in_width,
                    g.in_channels,
                    g.out_channels,
                    g.kernel_height,
                    g.kernel_width,
                    g.stride,
                    g.padding,
                    tf32_allowed(),
                    deterministic_convolutions()};
  std::lock_guard lock(mutex);
  auto& plan = (*plans)[key];
  if (!plan) plan = std::make_unique<ConvolutionPlan>(g);
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
ChosenAlgorithm fastest_allowed(const Perf* results, int count, const char* direction) {
  for (int i = 0; i < count; ++i) {
    const Perf& result = results[i];
    if (result.status != CUDNN_STATUS_SUCCESS) continue;
    if (deterministic_convolutions() && result.determinism != CUDNN_DETERMINISTIC) continue;
    const bool uses_tensor_cores = result.mathType == CUDNN_TENSOR_OP_MATH ||
                                   result.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (!tf32_allowed() && uses_tensor_cores) continue;
    return {static_cast<int>(result.algo), result.mathType, result.memory};
  }
  throw CudaError(std::string("cuDNN offers no ") + direction +
                  " convolution algorithm for this shape under the current policy (true float32" +
                  (deterministic_convolutions() ? ", deterministic" : "") + ")");
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& geometry, const float* x, const float* w,
                    const float* bias, float* y) {
  ConvolutionPlan& plan = plan_for(geometry);
  if (!plan.forward.chosen()) {
    cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        cudnn_handle(), plan.x, x, plan.w, w, plan.convolution, plan.y, y,
        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results, workspace(search_bytes), search_bytes));
    plan.forward = fastest_allowed(results, count, "forward");
  }
  void* scratch = plan.prepare(plan.forward);
  const float one = 1.0f, zero = 0.0f;
  IHD_CUDNN_CHECK(
      cudnnConvolutionForward(cudnn_handle(), &one, plan.x, x, plan.w, w, plan.convolution,
                              static_cast<cudnnConvolutionFwdAlgo_t>(plan.forward.algorithm),
                              scratch, plan.forward.workspace_bytes, &zero, plan.y, y));
  if (bias) IHD_CUDNN_CHECK(cudnnAddTensor(cudnn_handle(), &one, plan.bias, bias, &one, plan.y, y));
}

void conv2d_backward_data(const Conv2dGeometry& geometry, const float* dy, const float* w,
                          float* dx) {
  ConvolutionPlan& plan = plan_for(geometry);
  if (!plan.backward_data.chosen()) {
    cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        cudnn_handle(), plan.w, w, plan.y, dy, plan.convolution, plan.x, dx,
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results, workspace(search_bytes),
        search_bytes));
    plan.backward_data = fastest_allowed(results, count, "backward-data");
  }
  void* scratch = plan.prepare(plan.backward_data);
  const float one = 1.0f, zero = 0.0f;
  IHD_CUDNN_CHECK(cudnnConvolutionBackwardData(
      cudnn_handle(), &one, plan.w, w, plan.y, dy, plan.convolution,
      static_cast<cudnnConvolutionBwdDataAlgo_t>(plan.backward_data.algorithm), scratch,
      plan.backward_data.workspace_bytes, &zero, plan.x, dx));
}

void conv2d_backward_weight(const Conv2dGeometry& geometry, const float* x, const float* dy,
                            float* dw, float* dbias) {
  ConvolutionPlan& plan = plan_for(geometry);
  if (!plan.backward_filter.chosen()) {
    cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    const std::size_t search_bytes = search_workspace_bytes();
    IHD_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        cudnn_handle(), plan.x, x, plan.y, dy, plan.convolution, plan.w, dw,
        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results, workspace(search_bytes),
        search_bytes));
    plan.backward_filter = fastest_allowed(results, count, "backward-filter");
  }
  void* scratch = plan.prepare(plan.backward_filter);
  const float one = 1.0f, zero = 0.0f;
  IHD_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      cudnn_handle(), &one, plan.x, x, plan.y, dy, plan.convolution,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(plan.backward_filter.algorithm), scratch,
      plan.backward_filter.workspace_bytes, &zero, plan.w, dw));
  if (dbias) {
    IHD_CUDNN_CHECK(
        cudnnConvolutionBackwardBias(cudnn_handle(), &one, plan.y, dy, &zero, plan.bias, dbias));
  }
}

}  // namespace ihd::kernels::cuda
