// Convolution through oneDNN. Per geometry (and thread count) we build, once, the forward,
// backward-data and backward-weights primitives and every reorder they need, and keep them in a
// per-thread cache: creating a primitive costs far more than running one.
//
// Layouts: our activations are NHWC and our weights OHWI. Direct convolutions read and write NHWC
// as it is (oneDNN's "nhwc" tag, which its AVX-512/AVX2 kernels take at batch 16) and only the
// weights go through a reorder into the blocked layout the kernel wants. 3x3 stride-1
// convolutions on maps of at least kWinogradMinPixels run Winograd F(4x4, 3x3) instead, which
// needs 2.25x fewer multiplications; that kernel takes blocked activations, so those are reordered
// in and out as well (measured on AVX-512: still 1.3-1.9x faster than direct per layer, with
// errors of ~1e-6 relative). Where oneDNN has no Winograd kernel (no AVX-512) the direct one runs.
//
// Reordered arguments and scratchpads live in buffers that only grow, so steady-state training
// allocates nothing here.
#include "kernels/cpu/conv2d_onednn.h"

#include <omp.h>

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ihd::kernels::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;
// Winograd wins over direct from 12x12 output maps up at batch 16 (ResNet-50 layers 1-3).
constexpr int kWinogradMinPixels = 12 * 12;

// A 64-byte aligned buffer that keeps its largest size: reused across calls and geometries.
class GrowingBuffer {
 public:
  void* get(std::size_t bytes) {
    if (bytes > capacity_) {
      capacity_ = (bytes + 63) / 64 * 64;
      block_.reset(std::aligned_alloc(64, capacity_));
    }
    return block_.get();
  }

 private:
  struct Free {
    void operator()(void* block) const { std::free(block); }
  };
  std::unique_ptr<void, Free> block_;
  std::size_t capacity_ = 0;
};

// One argument of a primitive: given in our layout (`ours`), consumed or produced in the
// primitive's (`theirs`), with the reorder between them when the two differ.
struct Argument {
  int id = 0;
  bool is_output = false;
  memory::desc ours, theirs;
  std::optional<dnnl::reorder> reorder;
};

// A primitive with its arguments and scratchpad.
struct Step {
  dnnl::primitive primitive;
  std::vector<Argument> arguments;
  memory::desc scratchpad;
};

// Our layouts of one geometry's tensors, and the parameters of its descriptors.
struct Layouts {
  memory::desc x, y, w, bias, any_x, any_y, any_w;
  memory::dims strides, padding_left, padding_right;
  dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct;
};

// Everything oneDNN needs for one convolution geometry. Backward steps are built on first use
// (inference never needs them).
struct Convolution {
  Layouts layouts;
  dnnl::convolution_forward::primitive_desc forward_pd;
  Step forward;
  std::optional<Step> backward_data, backward_weight;
};

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive_attr attr = [] {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return a;
  }();
  // Null where oneDNN has no implementation for the geometry.
  std::map<std::array<int, 11>, std::unique_ptr<Convolution>> convolutions;
  std::array<GrowingBuffer, 4> arguments;  // one per reordered argument of a step
  GrowingBuffer scratchpad;
};

Context& context() {
  thread_local Context instance;
  return instance;
}

Argument argument(int id, bool is_output, const memory::desc& ours, const memory::desc& theirs,
                  const dnnl::engine& engine) {
  Argument a{.id = id, .is_output = is_output, .ours = ours, .theirs = theirs, .reorder = {}};
  if (ours != theirs) {
    a.reorder = is_output ? dnnl::reorder({engine, theirs, engine, ours})
                          : dnnl::reorder({engine, ours, engine, theirs});
  }
  return a;
}

// oneDNN's reference kernels ("ref:any") are plain loops, far slower than our im2col + BLAS:
// a geometry that only they take is treated as unsupported.
template <typename PrimitiveDesc>
const PrimitiveDesc& require_optimised(const PrimitiveDesc& pd) {
  if (std::string_view(pd.impl_info_str()).starts_with("ref")) {
    throw dnnl::error(dnnl_unimplemented, "only oneDNN's reference kernel takes this geometry");
  }
  return pd;
}

Layouts layouts_of(const Conv2dGeometry& g, bool has_bias, bool winograd) {
  const memory::dims x_dims{g.batch, g.in_channels, g.in_height, g.in_width};
  const memory::dims y_dims{g.batch, g.out_channels, g.out_height(), g.out_width()};
  const memory::dims w_dims{g.out_channels, g.in_channels, g.kernel_height, g.kernel_width};
  const Tag activations = winograd ? Tag::any : Tag::nhwc;
  return Layouts{
      .x = memory::desc(x_dims, kF32, Tag::nhwc),
      .y = memory::desc(y_dims, kF32, Tag::nhwc),
      .w = memory::desc(w_dims, kF32, Tag::ohwi),
      .bias = has_bias ? memory::desc({g.out_channels}, kF32, Tag::x) : memory::desc(),
      .any_x = memory::desc(x_dims, kF32, activations),
      .any_y = memory::desc(y_dims, kF32, activations),
      .any_w = memory::desc(w_dims, kF32, Tag::any),
      .strides = {g.stride, g.stride},
      .padding_left = {g.padding, g.padding},
      // The right padding that yields exactly our output size (the floor in out_height() may
      // drop the last input rows, which makes it smaller than the left padding, even negative).
      .padding_right = {(g.out_height() - 1) * g.stride + g.kernel_height - g.in_height - g.padding,
                        (g.out_width() - 1) * g.stride + g.kernel_width - g.in_width - g.padding},
      .algorithm =
          winograd ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct};
}

std::unique_ptr<Convolution> build_with(const Layouts& l, Context& c) {
  auto conv = std::make_unique<Convolution>();
  conv->layouts = l;
  conv->forward_pd = require_optimised(dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, l.algorithm, l.any_x,
                                      l.any_w, l.bias, l.any_y, l.strides, l.padding_left,
                                      l.padding_right),
      c.attr, c.engine));
  const auto& pd = conv->forward_pd;
  conv->forward =
      Step{.primitive = dnnl::convolution_forward(pd),
           .arguments = {argument(DNNL_ARG_SRC, false, l.x, pd.src_desc(), c.engine),
                         argument(DNNL_ARG_WEIGHTS, false, l.w, pd.weights_desc(), c.engine),
                         argument(DNNL_ARG_DST, true, l.y, pd.dst_desc(), c.engine)},
           .scratchpad = pd.scratchpad_desc()};
  if (l.bias) {
    conv->forward.arguments.push_back(argument(DNNL_ARG_BIAS, false, l.bias, l.bias, c.engine));
  }
  return conv;
}

bool prefers_winograd(const Conv2dGeometry& g) {
  return g.kernel_height == 3 && g.kernel_width == 3 && g.stride == 1 && g.padding == 1 &&
         g.out_height() * g.out_width() >= kWinogradMinPixels;
}

// Winograd where it pays and exists, else direct; null if oneDNN cannot run the geometry.
std::unique_ptr<Convolution> build(const Conv2dGeometry& g, bool has_bias, Context& c) {
  if (prefers_winograd(g)) {
    try {
      return build_with(layouts_of(g, has_bias, true), c);
    } catch (const dnnl::error&) {
      // No Winograd kernel for this machine or shape: the direct one below.
    }
  }
  try {
    return build_with(layouts_of(g, has_bias, false), c);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

Step build_backward_data(const Convolution& conv, Context& c) {
  const Layouts& l = conv.layouts;
  const auto pd = require_optimised(dnnl::convolution_backward_data::primitive_desc(
      dnnl::convolution_backward_data::desc(l.algorithm, l.any_x, l.any_w, l.any_y, l.strides,
                                            l.padding_left, l.padding_right),
      c.attr, c.engine, conv.forward_pd));
  return Step{.primitive = dnnl::convolution_backward_data(pd),
              .arguments = {argument(DNNL_ARG_DIFF_DST, false, l.y, pd.diff_dst_desc(), c.engine),
                            argument(DNNL_ARG_WEIGHTS, false, l.w, pd.weights_desc(), c.engine),
                            argument(DNNL_ARG_DIFF_SRC, true, l.x, pd.diff_src_desc(), c.engine)},
              .scratchpad = pd.scratchpad_desc()};
}

Step build_backward_weight(const Convolution& conv, Context& c) {
  const Layouts& l = conv.layouts;
  const auto pd = require_optimised(dnnl::convolution_backward_weights::primitive_desc(
      dnnl::convolution_backward_weights::desc(l.algorithm, l.any_x, l.any_w, l.bias, l.any_y,
                                               l.strides, l.padding_left, l.padding_right),
      c.attr, c.engine, conv.forward_pd));
  Step step{
      .primitive = dnnl::convolution_backward_weights(pd),
      .arguments = {argument(DNNL_ARG_SRC, false, l.x, pd.src_desc(), c.engine),
                    argument(DNNL_ARG_DIFF_DST, false, l.y, pd.diff_dst_desc(), c.engine),
                    argument(DNNL_ARG_DIFF_WEIGHTS, true, l.w, pd.diff_weights_desc(), c.engine)},
      .scratchpad = pd.scratchpad_desc()};
  if (l.bias) {
    step.arguments.push_back(argument(DNNL_ARG_DIFF_BIAS, true, l.bias, l.bias, c.engine));
  }
  return step;
}

// The cached primitives for this geometry, or null if oneDNN cannot run it.
Convolution* find_or_build(const Conv2dGeometry& g, bool has_bias) {
  Context& c = context();
  const std::array<int, 11> key{
      g.batch,        g.in_height, g.in_width, g.in_channels, g.out_channels,       g.kernel_height,
      g.kernel_width, g.stride,    g.padding,  int{has_bias}, omp_get_max_threads()};
  auto found = c.convolutions.find(key);
  if (found == c.convolutions.end())
    found = c.convolutions.emplace(key, build(g, has_bias, c)).first;
  return found->second.get();
}

// Runs a step on our tensors (argument id -> pointer): inputs are reordered into the step's
// layouts before it, outputs out of them after it.
void run(const Step& step, const std::unordered_map<int, const float*>& pointers, Context& c) {
  std::unordered_map<int, memory> arguments;
  std::vector<std::pair<const Argument*, memory>> outputs_to_reorder;
  std::size_t buffer = 0;
  for (const Argument& a : step.arguments) {
    memory ours(a.ours, c.engine, const_cast<float*>(pointers.at(a.id)));
    if (!a.reorder) {
      arguments.emplace(a.id, ours);
      continue;
    }
    memory theirs(a.theirs, c.engine, c.arguments.at(buffer++).get(a.theirs.get_size()));
    if (a.is_output) {
      outputs_to_reorder.emplace_back(&a, ours);
    } else {
      a.reorder->execute(c.stream, ours, theirs);
    }
    arguments.emplace(a.id, theirs);
  }
  arguments.emplace(DNNL_ARG_SCRATCHPAD, memory(step.scratchpad, c.engine,
                                                c.scratchpad.get(step.scratchpad.get_size())));
  step.primitive.execute(c.stream, arguments);
  for (auto& [a, ours] : outputs_to_reorder)
    a->reorder->execute(c.stream, arguments.at(a->id), ours);
  c.stream.wait();
}

}  // namespace

bool onednn_conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y) {
  Convolution* conv = find_or_build(g, bias != nullptr);
  if (!conv) return false;
  run(conv->forward,
      {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}},
      context());
  return true;
}

bool onednn_conv2d_backward_data(const Conv2dGeometry& g, const float* dy, const float* w,
                                 float* dx) {
  Convolution* conv = find_or_build(g, false);
  if (!conv) return false;
  Context& c = context();
  if (!conv->backward_data) {
    try {
      conv->backward_data = build_backward_data(*conv, c);
    } catch (const dnnl::error&) {
      return false;
    }
  }
  run(*conv->backward_data,
      {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}}, c);
  return true;
}

bool onednn_conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias) {
  // oneDNN 2.6's AVX2 kernel of this step for strided 1x1 convolutions (jit_1x1:avx2) returns
  // wrong weight gradients when the input has fewer channels than its 8-wide block (0.59 relative
  // error on a Zen 3, tiny ResNet-18's first shortcut: tests/engine/conv2d_fast_path_test.cpp).
  // Such a step is a subsampling and one BLAS GEMM in the reference, which takes every strided
  // 1x1 convolution, whatever the CPU (bench/RESULTS.md's figures include it).
  if (g.kernel_height == 1 && g.kernel_width == 1 && g.stride > 1) return false;
  Convolution* conv = find_or_build(g, dbias != nullptr);
  if (!conv) return false;
  Context& c = context();
  if (!conv->backward_weight) {
    try {
      conv->backward_weight = build_backward_weight(*conv, c);
    } catch (const dnnl::error&) {
      return false;
    }
  }
  run(*conv->backward_weight,
      {{DNNL_ARG_SRC, x},
       {DNNL_ARG_DIFF_DST, dy},
       {DNNL_ARG_DIFF_WEIGHTS, dw},
       {DNNL_ARG_DIFF_BIAS, dbias}},
      c);
  return true;
}

}  // namespace ihd::kernels::cpu
