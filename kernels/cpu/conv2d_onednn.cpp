// Convolution through oneDNN. Activations stay NHWC (oneDNN's "nhwc" tag, the layout its
// AVX-512/AVX2 kernels favour for batch 16), weights are handed over as OHWI and reordered into the
// blocked layout the chosen kernel wants. Per geometry (and thread count) we build, once, the
// forward, backward-data and backward-weights primitives and the weight reorders, and keep them in
// a per-thread cache: creating a primitive costs far more than running a small one. The reordered
// weights and the scratchpads live in buffers that only grow, so steady-state training allocates
// nothing here.
#include "kernels/cpu/conv2d_onednn.h"

#include <omp.h>

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <unordered_map>

namespace ihd::kernels::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

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

// A reorder between two layouts of the same weights; no primitive when the layouts agree.
struct Reorder {
  Reorder() = default;
  Reorder(const dnnl::engine& engine, const memory::desc& from_layout,
          const memory::desc& to_layout)
      : from(from_layout), to(to_layout) {
    if (from != to) {
      primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine, from, engine, to));
    }
  }
  memory::desc from, to;
  std::optional<dnnl::reorder> primitive;
};

// Everything oneDNN needs for one convolution geometry. Backward primitives are built on first use
// (inference never needs them).
struct Convolution {
  memory::desc x, y, w_user, bias;
  memory::dims strides, padding_left, padding_right;
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  Reorder w_to_forward;
  std::optional<dnnl::convolution_backward_data> backward_data;
  Reorder w_to_backward_data;
  std::optional<dnnl::convolution_backward_weights> backward_weight;
  Reorder dw_to_user;
  memory::desc backward_data_scratchpad, backward_weight_scratchpad;
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
  GrowingBuffer weights, scratchpad;
};

Context& context() {
  thread_local Context instance;
  return instance;
}

memory::desc activation_desc(int batch, int height, int width, int channels) {
  return memory::desc({batch, channels, height, width}, kF32, Tag::nhwc);
}

std::unique_ptr<Convolution> build(const Conv2dGeometry& g, bool has_bias, Context& c) {
  auto conv = std::make_unique<Convolution>();
  conv->x = activation_desc(g.batch, g.in_height, g.in_width, g.in_channels);
  conv->y = activation_desc(g.batch, g.out_height(), g.out_width(), g.out_channels);
  conv->w_user = memory::desc({g.out_channels, g.in_channels, g.kernel_height, g.kernel_width},
                              kF32, Tag::ohwi);
  if (has_bias) conv->bias = memory::desc({g.out_channels}, kF32, Tag::x);
  conv->strides = {g.stride, g.stride};
  conv->padding_left = {g.padding, g.padding};
  // The right padding that yields exactly our output size (the floor in out_height() may drop
  // the last input rows, which makes it smaller than the left padding, even negative).
  conv->padding_right = {
      (g.out_height() - 1) * g.stride + g.kernel_height - g.in_height - g.padding,
      (g.out_width() - 1) * g.stride + g.kernel_width - g.in_width - g.padding};
  const memory::desc any_weights(conv->w_user.dims(), kF32, Tag::any);
  conv->forward_pd = dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(
          dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, conv->x,
          any_weights, conv->bias, conv->y, conv->strides, conv->padding_left, conv->padding_right),
      c.attr, c.engine);
  conv->forward = dnnl::convolution_forward(conv->forward_pd);
  conv->w_to_forward = Reorder(c.engine, conv->w_user, conv->forward_pd.weights_desc());
  return conv;
}

void build_backward_data(Convolution& conv, Context& c) {
  const memory::desc any_weights(conv.w_user.dims(), kF32, Tag::any);
  const dnnl::convolution_backward_data::primitive_desc pd(
      dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, conv.x,
                                            any_weights, conv.y, conv.strides, conv.padding_left,
                                            conv.padding_right),
      c.attr, c.engine, conv.forward_pd);
  conv.backward_data = dnnl::convolution_backward_data(pd);
  conv.w_to_backward_data = Reorder(c.engine, conv.w_user, pd.weights_desc());
  conv.backward_data_scratchpad = pd.scratchpad_desc();
}

void build_backward_weight(Convolution& conv, Context& c) {
  const memory::desc any_weights(conv.w_user.dims(), kF32, Tag::any);
  const dnnl::convolution_backward_weights::primitive_desc pd(
      dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, conv.x,
                                               any_weights, conv.bias, conv.y, conv.strides,
                                               conv.padding_left, conv.padding_right),
      c.attr, c.engine, conv.forward_pd);
  conv.backward_weight = dnnl::convolution_backward_weights(pd);
  conv.dw_to_user = Reorder(c.engine, pd.diff_weights_desc(), conv.w_user);
  conv.backward_weight_scratchpad = pd.scratchpad_desc();
}

// The cached primitives for this geometry, or null if oneDNN cannot run it.
Convolution* find_or_build(const Conv2dGeometry& g, bool has_bias) {
  Context& c = context();
  const std::array<int, 11> key{
      g.batch,        g.in_height, g.in_width, g.in_channels, g.out_channels,       g.kernel_height,
      g.kernel_width, g.stride,    g.padding,  has_bias,      omp_get_max_threads()};
  auto found = c.convolutions.find(key);
  if (found == c.convolutions.end()) {
    std::unique_ptr<Convolution> conv;
    try {
      conv = build(g, has_bias, c);
    } catch (const dnnl::error&) {
      conv = nullptr;
    }
    found = c.convolutions.emplace(key, std::move(conv)).first;
  }
  return found->second.get();
}

// The user's weights w in the layout `reorder` leads to: w itself, or a copy in the buffer.
memory weights_for(const Reorder& reorder, const float* w, Context& c) {
  memory user(reorder.from, c.engine, const_cast<float*>(w));
  if (!reorder.primitive) return user;
  memory reordered(reorder.to, c.engine, c.weights.get(reorder.to.get_size()));
  reorder.primitive->execute(c.stream, user, reordered);
  return reordered;
}

memory scratchpad_for(const memory::desc& desc, Context& c) {
  return memory(desc, c.engine, c.scratchpad.get(desc.get_size()));
}

}  // namespace

bool onednn_conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y) {
  Convolution* conv = find_or_build(g, bias != nullptr);
  if (!conv) return false;
  Context& c = context();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(conv->x, c.engine, const_cast<float*>(x))},
      {DNNL_ARG_WEIGHTS, weights_for(conv->w_to_forward, w, c)},
      {DNNL_ARG_DST, memory(conv->y, c.engine, y)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_for(conv->forward_pd.scratchpad_desc(), c)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(conv->bias, c.engine, const_cast<float*>(bias)));
  conv->forward.execute(c.stream, args);
  c.stream.wait();
  return true;
}

bool onednn_conv2d_backward_data(const Conv2dGeometry& g, const float* dy, const float* w,
                                 float* dx) {
  Convolution* conv = find_or_build(g, false);
  if (!conv) return false;
  Context& c = context();
  if (!conv->backward_data) {
    try {
      build_backward_data(*conv, c);
    } catch (const dnnl::error&) {
      return false;
    }
  }
  conv->backward_data->execute(
      c.stream, {{DNNL_ARG_DIFF_DST, memory(conv->y, c.engine, const_cast<float*>(dy))},
                 {DNNL_ARG_WEIGHTS, weights_for(conv->w_to_backward_data, w, c)},
                 {DNNL_ARG_DIFF_SRC, memory(conv->x, c.engine, dx)},
                 {DNNL_ARG_SCRATCHPAD, scratchpad_for(conv->backward_data_scratchpad, c)}});
  c.stream.wait();
  return true;
}

bool onednn_conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias) {
  Convolution* conv = find_or_build(g, dbias != nullptr);
  if (!conv) return false;
  Context& c = context();
  if (!conv->backward_weight) {
    try {
      build_backward_weight(*conv, c);
    } catch (const dnnl::error&) {
      return false;
    }
  }
  // The gradient comes out in the kernel's blocked layout (in the buffer), then goes to OHWI.
  const Reorder& to_user = conv->dw_to_user;
  memory user_dw(to_user.to, c.engine, dw);
  memory blocked_dw = to_user.primitive
                          ? memory(to_user.from, c.engine, c.weights.get(to_user.from.get_size()))
                          : user_dw;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(conv->x, c.engine, const_cast<float*>(x))},
      {DNNL_ARG_DIFF_DST, memory(conv->y, c.engine, const_cast<float*>(dy))},
      {DNNL_ARG_DIFF_WEIGHTS, blocked_dw},
      {DNNL_ARG_SCRATCHPAD, scratchpad_for(conv->backward_weight_scratchpad, c)}};
  if (dbias) args.emplace(DNNL_ARG_DIFF_BIAS, memory(conv->bias, c.engine, dbias));
  conv->backward_weight->execute(c.stream, args);
  if (to_user.primitive) to_user.primitive->execute(c.stream, blocked_dw, user_dw);
  c.stream.wait();
  return true;
}

}  // namespace ihd::kernels::cpu
