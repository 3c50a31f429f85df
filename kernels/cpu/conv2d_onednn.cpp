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
//
// Inference (conv2d_forward_fused) runs a forward-inference primitive with the bias and the
// post-ops sum (the residual, pre-loaded into the output) and eltwise ReLU, on weights reordered
// once by onednn_prepare_weights into the layout that primitive wants; a header before them names
// that layout (and element type), so a mismatch is caught (and reordered) rather than misread.
// In bfloat16 the same primitive takes bfloat16 activations and weights and a float32 bias, and
// rounds each output once, after its post-ops (direct kernels only: Winograd is float32 only).
#include "kernels/cpu/conv2d_onednn.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ihd::kernels::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;
constexpr auto kBF16 = memory::data_type::bf16;
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

// A forward-inference convolution with its bias and post-ops, and the reorders of its activations
// between our NHWC and its layout (Winograd's blocked one) where they differ.
struct FusedConvolution {
  Layouts layouts;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
  std::optional<dnnl::reorder> x_in, residual_in, y_out;
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
  std::map<std::array<int, 12>, std::unique_ptr<Convolution>> convolutions;
  std::map<std::array<int, 13>, std::unique_ptr<FusedConvolution>> fused;
  std::array<GrowingBuffer, 4> arguments;  // one per reordered argument of a step
  GrowingBuffer scratchpad;
};

Context& context() {
  thread_local Context instance;
  return instance;
}

// A cache key: the geometry's nine numbers, then `options` (what else picks the primitives), then
// the thread count (oneDNN's kernels are built for it).
template <std::size_t N>
std::array<int, 10 + N> cache_key(const Conv2dGeometry& g, const std::array<int, N>& options) {
  std::array<int, 10 + N> key{g.batch,        g.in_height,    g.in_width,
                              g.in_channels,  g.out_channels, g.kernel_height,
                              g.kernel_width, g.stride,       g.padding};
  std::copy(options.begin(), options.end(), key.begin() + 9);
  key.back() = omp_get_max_threads();
  return key;
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

// `type`: of the activations and weights (float32 or bfloat16); a bias is float32.
Layouts layouts_of(const Conv2dGeometry& g, bool has_bias, bool winograd,
                   memory::data_type type = kF32) {
  const memory::dims x_dims{g.batch, g.in_channels, g.in_height, g.in_width};
  const memory::dims y_dims{g.batch, g.out_channels, g.out_height(), g.out_width()};
  const memory::dims w_dims{g.out_channels, g.in_channels, g.kernel_height, g.kernel_width};
  const Tag activations = winograd ? Tag::any : Tag::nhwc;
  return Layouts{
      .x = memory::desc(x_dims, type, Tag::nhwc),
      .y = memory::desc(y_dims, type, Tag::nhwc),
      .w = memory::desc(w_dims, type, Tag::ohwi),
      .bias = has_bias ? memory::desc({g.out_channels}, kF32, Tag::x) : memory::desc(),
      .any_x = memory::desc(x_dims, type, activations),
      .any_y = memory::desc(y_dims, type, activations),
      .any_w = memory::desc(w_dims, type, Tag::any),
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
std::unique_ptr<Convolution> build(const Conv2dGeometry& g, bool has_bias, memory::data_type type,
                                   Context& c) {
  if (prefers_winograd(g)) {
    try {
      return build_with(layouts_of(g, has_bias, true, type), c);
    } catch (const dnnl::error&) {
      // No Winograd kernel for this machine or shape: the direct one below.
    }
  }
  try {
    return build_with(layouts_of(g, has_bias, false, type), c);
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
Convolution* find_or_build(const Conv2dGeometry& g, bool has_bias, memory::data_type type) {
  Context& c = context();
  const auto key = cache_key(g, std::array{int{has_bias}, static_cast<int>(type)});
  auto found = c.convolutions.find(key);
  if (found == c.convolutions.end())
    found = c.convolutions.emplace(key, build(g, has_bias, type, c)).first;
  return found->second.get();
}

// Runs a step on our tensors (argument id -> pointer): inputs are reordered into the step's
// layouts before it, outputs out of them after it.
void run(const Step& step, const std::unordered_map<int, const void*>& pointers, Context& c) {
  std::unordered_map<int, memory> arguments;
  std::vector<std::pair<const Argument*, memory>> outputs_to_reorder;
  std::size_t buffer = 0;
  for (const Argument& a : step.arguments) {
    memory ours(a.ours, c.engine, const_cast<void*>(pointers.at(a.id)));
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

// The prepared weights' header: the oneDNN layout of the weights after it (a plain C struct).
constexpr std::size_t kPreparedHeaderBytes = (sizeof(dnnl_memory_desc_t) + 63) / 64 * 64;

std::unique_ptr<FusedConvolution> build_fused_with(const Layouts& l, bool residual, bool relu,
                                                   Context& c) {
  dnnl::post_ops post_ops;
  if (residual) post_ops.append_sum(1.0f);
  if (relu) post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(post_ops);
  auto f = std::make_unique<FusedConvolution>();
  f->layouts = l;
  f->pd = require_optimised(dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, l.algorithm, l.any_x,
                                      l.any_w, l.bias, l.any_y, l.strides, l.padding_left,
                                      l.padding_right),
      attr, c.engine));
  f->primitive = dnnl::convolution_forward(f->pd);
  if (f->pd.src_desc() != l.x) f->x_in = dnnl::reorder({c.engine, l.x, c.engine, f->pd.src_desc()});
  if (f->pd.dst_desc() != l.y) {
    f->y_out = dnnl::reorder({c.engine, f->pd.dst_desc(), c.engine, l.y});
    if (residual) f->residual_in = dnnl::reorder({c.engine, l.y, c.engine, f->pd.dst_desc()});
  }
  return f;
}

// Winograd where it pays and takes the post-ops (float32), else direct; null if oneDNN cannot
// run it.
FusedConvolution* find_or_build_fused(const Conv2dGeometry& g, bool residual, bool relu,
                                      memory::data_type type) {
  Context& c = context();
  const auto key = cache_key(g, std::array{int{residual}, int{relu}, static_cast<int>(type)});
  auto found = c.fused.find(key);
  if (found != c.fused.end()) return found->second.get();
  std::unique_ptr<FusedConvolution> built;
  for (const bool winograd : {true, false}) {
    if (built || (winograd && (type != kF32 || !prefers_winograd(g)))) continue;
    try {
      built = build_fused_with(layouts_of(g, true, winograd, type), residual, relu, c);
    } catch (const dnnl::error&) {
      // No such kernel for this machine, shape or post-ops: the next choice.
    }
  }
  return c.fused.emplace(key, std::move(built)).first->second.get();
}

// The layout weights are prepared in: the fused primitive's without post-ops, else plain OHWI.
memory::desc prepared_layout(const Conv2dGeometry& g, memory::data_type type) {
  const FusedConvolution* f = find_or_build_fused(g, false, false, type);
  return f ? f->pd.weights_desc() : layouts_of(g, true, false, type).w;
}

memory::desc layout_of_prepared(const void* prepared) {
  dnnl_memory_desc_t layout;
  std::memcpy(&layout, prepared, sizeof(layout));
  return memory::desc(layout);
}

// Prepared weights in the layout `wanted`: their own bytes when it is theirs, else a reorder into
// `buffer` (weights prepared for another geometry, or a primitive whose post-ops chose another
// kernel). oneDNN cannot reorder every layout into every other (Winograd's out of theirs).
void* prepared_weights_as(const memory::desc& wanted, const void* prepared, GrowingBuffer& buffer,
                          Context& c) {
  const memory::desc have = layout_of_prepared(prepared);
  void* body = const_cast<char*>(static_cast<const char*>(prepared) + kPreparedHeaderBytes);
  if (have == wanted) return body;
  std::optional<dnnl::reorder> reorder;
  try {
    reorder = dnnl::reorder({c.engine, have, c.engine, wanted});
  } catch (const dnnl::error&) {
    throw Error(
        "conv2d_forward_fused: the weights were prepared for another geometry, in a layout oneDNN "
        "cannot reorder into this one's: prepare them for this geometry");
  }
  void* target = buffer.get(wanted.get_size());
  memory source(have, c.engine, body), destination(wanted, c.engine, target);
  reorder->execute(c.stream, source, destination);
  c.stream.wait();
  return target;
}

}  // namespace

std::size_t onednn_prepared_weights_bytes(const Conv2dGeometry& g, bool bfloat16_weights) {
  return kPreparedHeaderBytes + prepared_layout(g, bfloat16_weights ? kBF16 : kF32).get_size();
}

namespace {

void prepare_weights_as(memory::data_type type, const Conv2dGeometry& g, const void* w,
                        void* prepared) {
  Context& c = context();
  const memory::desc layout = prepared_layout(g, type);
  std::memcpy(prepared, &layout.data, sizeof(layout.data));
  void* body = static_cast<char*>(prepared) + kPreparedHeaderBytes;
  const memory::desc ours = layouts_of(g, true, false, type).w;
  if (layout == ours) {
    std::memcpy(body, w, ours.get_size());
    return;
  }
  memory source(ours, c.engine, const_cast<void*>(w)), destination(layout, c.engine, body);
  try {
    dnnl::reorder({c.engine, ours, c.engine, layout}).execute(c.stream, source, destination);
  } catch (const dnnl::error&) {
    // Winograd's inference layout (the weights transformed once) is reached from OIHW only.
    const memory::desc oihw(ours.dims(), type, Tag::oihw);
    memory plain(oihw, c.engine, c.arguments[0].get(oihw.get_size()));
    dnnl::reorder({c.engine, ours, c.engine, oihw}).execute(c.stream, source, plain);
    dnnl::reorder({c.engine, oihw, c.engine, layout}).execute(c.stream, plain, destination);
  }
  c.stream.wait();
}

// The fused forward for float32 (T float, `type` f32) and bfloat16 (T bfloat16, `type` bf16).
template <typename T>
bool forward_fused_as(memory::data_type type, const Conv2dGeometry& g, const T* x,
                      const void* prepared_w, const float* bias, const T* residual, bool relu,
                      T* y) {
  FusedConvolution* f = find_or_build_fused(g, residual != nullptr, relu, type);
  if (!f) return false;
  Context& c = context();
  const Layouts& l = f->layouts;
  memory x_ours(l.x, c.engine, const_cast<T*>(x));
  memory y_ours(l.y, c.engine, y);
  memory src = x_ours, dst = y_ours;
  if (f->x_in) {
    src = memory(f->pd.src_desc(), c.engine, c.arguments[1].get(f->pd.src_desc().get_size()));
    f->x_in->execute(c.stream, x_ours, src);
  }
  if (f->y_out) {
    dst = memory(f->pd.dst_desc(), c.engine, c.arguments[2].get(f->pd.dst_desc().get_size()));
  }
  if (residual) {
    // The sum post-op adds what the output holds: the residual, in the primitive's layout.
    memory residual_ours(l.y, c.engine, const_cast<T*>(residual));
    if (f->residual_in) {
      f->residual_in->execute(c.stream, residual_ours, dst);
    } else {
      std::memcpy(y, residual, l.y.get_size());
    }
  }
  memory weights(f->pd.weights_desc(), c.engine,
                 prepared_weights_as(f->pd.weights_desc(), prepared_w, c.arguments[3], c));
  f->primitive.execute(
      c.stream,
      {{DNNL_ARG_SRC, src},
       {DNNL_ARG_WEIGHTS, weights},
       {DNNL_ARG_BIAS, memory(l.bias, c.engine, const_cast<float*>(bias))},
       {DNNL_ARG_DST, dst},
       {DNNL_ARG_SCRATCHPAD, memory(f->pd.scratchpad_desc(), c.engine,
                                    c.scratchpad.get(f->pd.scratchpad_desc().get_size()))}});
  if (f->y_out) f->y_out->execute(c.stream, dst, y_ours);
  c.stream.wait();
  return true;
}

}  // namespace

void onednn_prepare_weights(const Conv2dGeometry& g, const float* w, void* prepared) {
  prepare_weights_as(kF32, g, w, prepared);
}
void onednn_prepare_weights(const Conv2dGeometry& g, const bfloat16* w, void* prepared) {
  prepare_weights_as(kBF16, g, w, prepared);
}

template <typename T>
const T* onednn_prepared_as_ohwi(const Conv2dGeometry& g, const void* prepared) {
  Context& c = context();
  const memory::data_type type = std::is_same_v<T, float> ? kF32 : kBF16;
  return static_cast<const T*>(
      prepared_weights_as(layouts_of(g, true, false, type).w, prepared, c.arguments[0], c));
}
template const float* onednn_prepared_as_ohwi<float>(const Conv2dGeometry&, const void*);
template const bfloat16* onednn_prepared_as_ohwi<bfloat16>(const Conv2dGeometry&, const void*);

bool onednn_conv2d_forward_fused(const Conv2dGeometry& g, const float* x, const void* prepared_w,
                                 const float* bias, const float* residual, bool relu, float* y) {
  return forward_fused_as(kF32, g, x, prepared_w, bias, residual, relu, y);
}
bool onednn_conv2d_forward_fused(const Conv2dGeometry& g, const bfloat16* x, const void* prepared_w,
                                 const float* bias, const bfloat16* residual, bool relu,
                                 bfloat16* y) {
  return forward_fused_as(kBF16, g, x, prepared_w, bias, residual, relu, y);
}

namespace {

// The three steps, for float32 (T float) and bfloat16 (T bfloat16, `type` bf16) operands.
template <typename T>
bool forward_as(memory::data_type type, const Conv2dGeometry& g, const T* x, const T* w,
                const float* bias, T* y) {
  Convolution* conv = find_or_build(g, bias != nullptr, type);
  if (!conv) return false;
  run(conv->forward,
      {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}},
      context());
  return true;
}

template <typename T>
bool backward_data_as(memory::data_type type, const Conv2dGeometry& g, const T* dy, const T* w,
                      T* dx) {
  Convolution* conv = find_or_build(g, false, type);
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

template <typename T>
bool backward_weight_as(memory::data_type type, const Conv2dGeometry& g, const T* x, const T* dy,
                        T* dw, float* dbias) {
  // oneDNN 2.6's AVX2 kernel of this step for strided 1x1 convolutions (jit_1x1:avx2) returns
  // wrong weight gradients when the input has fewer channels than its 8-wide block (0.59 relative
  // error on a Zen 3, tiny ResNet-18's first shortcut: tests/engine/conv2d_fast_path_test.cpp).
  // Such a step is a subsampling and one BLAS GEMM in the reference, which takes every strided
  // 1x1 convolution, whatever the CPU (bench/RESULTS.md's figures include it).
  if (g.kernel_height == 1 && g.kernel_width == 1 && g.stride > 1) return false;
  Convolution* conv = find_or_build(g, dbias != nullptr, type);
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

}  // namespace

bool onednn_conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y) {
  return forward_as(kF32, g, x, w, bias, y);
}
bool onednn_conv2d_backward_data(const Conv2dGeometry& g, const float* dy, const float* w,
                                 float* dx) {
  return backward_data_as(kF32, g, dy, w, dx);
}
bool onednn_conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias) {
  return backward_weight_as(kF32, g, x, dy, dw, dbias);
}

bool onednn_has_bfloat16_convolutions() {
  Conv2dGeometry g;
  g.batch = 16;
  g.in_height = g.in_width = 8;
  g.in_channels = g.out_channels = 16;
  g.kernel_height = g.kernel_width = 3;
  g.padding = 1;
  return find_or_build(g, false, kBF16) != nullptr;
}

bool onednn_has_bfloat16_instructions() {
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (static_cast<unsigned>(dnnl::get_effective_cpu_isa()) & bf16) == bf16;
}

bool onednn_conv2d_forward(const Conv2dGeometry& g, const bfloat16* x, const bfloat16* w,
                           bfloat16* y) {
  return forward_as(kBF16, g, x, w, nullptr, y);
}
bool onednn_conv2d_backward_data(const Conv2dGeometry& g, const bfloat16* dy, const bfloat16* w,
                                 bfloat16* dx) {
  return backward_data_as(kBF16, g, dy, w, dx);
}
bool onednn_conv2d_backward_weight(const Conv2dGeometry& g, const bfloat16* x, const bfloat16* dy,
                                   bfloat16* dw) {
  return backward_weight_as(kBF16, g, x, dy, dw, nullptr);
}

}  // namespace ihd::kernels::cpu
