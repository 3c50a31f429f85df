// Op cases of the 2-D convolution: training (input, weight and bias gradients) and the fused
// inference forward on prepared weights. Shapes: batch 1, odd sizes, channel counts that are not
// multiples of 8, rectangular kernels, and real ResNet-50 layers at small batch; the performance
// cases are every distinct ResNet-50 (v1.5) layer at 224 x 224, batch 64.
// Tolerances: float32 1e-9 (dot products of up to ~6,000 terms summed in another order: expected
// error about 1e-11); bfloat16 1e-5 (both sides round float32 accumulations once; where the two
// float32 values straddle a rounding boundary the outputs differ by one step, 2^-8 relative).
#include "kernels/geometry.h"
#include "op_case.h"

namespace ihd::op_cases {
namespace {

constexpr double kProduct = 1e-9;
constexpr double kOneRounding = 1e-5;

// batch, in_height, in_width, in_channels, out_channels, kernel_h, kernel_w, stride, padding
constexpr kernels::Conv2dGeometry kConvolutions[] = {
    {1, 7, 5, 3, 5, 3, 3, 1, 1},        // odd sizes, batch 1
    {2, 9, 9, 6, 10, 3, 3, 2, 1},       // strided
    {3, 6, 6, 13, 7, 1, 1, 1, 0},       // pointwise, 13 channels
    {1, 10, 11, 5, 4, 5, 3, 2, 2},      // rectangular kernel
    {1, 64, 64, 3, 64, 7, 7, 2, 3},     // the stem at 64 x 64 (3 input channels)
    {2, 56, 56, 64, 64, 3, 3, 1, 1},    // layer1 3x3
    {2, 56, 56, 64, 256, 1, 1, 1, 0},   // layer1 expansion
    {2, 56, 56, 256, 512, 1, 1, 2, 0},  // layer2 downsample
    {2, 28, 28, 128, 128, 3, 3, 2, 1},  // layer2 strided 3x3
    {2, 14, 14, 256, 256, 3, 3, 1, 1},  // layer3 3x3
    {2, 7, 7, 2048, 512, 1, 1, 1, 0},   // layer4 reduction
};

// The finite-difference cases: tiny, each a path of the CPU convolution.
struct GradientConvolution {
  kernels::Conv2dGeometry geometry;
  bool bias;
};
constexpr GradientConvolution kGradientConvolutions[] = {
    {{2, 5, 6, 3, 4, 3, 3, 1, 1}, false},  // 3x3 same padding
    {{1, 7, 5, 2, 3, 3, 3, 2, 1}, true},   // stride 2, batch 1, odd sizes
    {{2, 4, 4, 5, 6, 1, 1, 1, 0}, false},  // pointwise (GEMM path)
    {{2, 5, 5, 3, 2, 1, 1, 2, 0}, false},  // strided 1x1 (downsample shortcut)
    {{1, 9, 8, 1, 2, 7, 7, 2, 3}, false},  // the ResNet stem's 7x7/2
};

// in_size (= width), in_channels, out_channels, kernel, stride: ResNet-50's distinct layers.
struct ResNetLayer {
  int in_size, in_channels, out_channels, kernel, stride;
};
constexpr ResNetLayer kResNet50Layers[] = {
    {224, 3, 64, 7, 2},     {56, 64, 64, 1, 1},    {56, 64, 64, 3, 1},    {56, 64, 256, 1, 1},
    {56, 256, 64, 1, 1},    {56, 256, 128, 1, 1},  {56, 128, 128, 3, 2},  {28, 128, 512, 1, 1},
    {56, 256, 512, 1, 2},   {28, 512, 128, 1, 1},  {28, 128, 128, 3, 1},  {28, 512, 256, 1, 1},
    {28, 256, 256, 3, 2},   {14, 256, 1024, 1, 1}, {28, 512, 1024, 1, 2}, {14, 1024, 256, 1, 1},
    {14, 256, 256, 3, 1},   {14, 1024, 512, 1, 1}, {14, 512, 512, 3, 2},  {7, 512, 2048, 1, 1},
    {14, 1024, 2048, 1, 2}, {7, 2048, 512, 1, 1},  {7, 512, 512, 3, 1},
};

Shape input_shape(const kernels::Conv2dGeometry& g) {
  return Shape{g.batch, g.in_height, g.in_width, g.in_channels};
}
Shape weight_shape(const kernels::Conv2dGeometry& g) {
  return Shape{g.out_channels, g.kernel_height, g.kernel_width, g.in_channels};
}
Shape output_shape(const kernels::Conv2dGeometry& g) {
  return Shape{g.batch, g.out_height(), g.out_width(), g.out_channels};
}

std::string describe(const kernels::Conv2dGeometry& g) {
  return "x " + dims(input_shape(g)) + ", w " + dims(weight_shape(g)) + ", /" +
         std::to_string(g.stride) + " p" + std::to_string(g.padding);
}

// conv2d with or without bias: float32 only with one (the bfloat16 form has none).
OpCase training_case(const kernels::Conv2dGeometry& g, bool bias, unsigned uses) {
  OpCase op_case{.family = "convolution",
                 .name = std::string(bias ? "conv2d with bias " : "conv2d ") + describe(g),
                 .inputs = {{input_shape(g)}, {weight_shape(g), Role::parameter}},
                 .uses = uses,
                 .float32_tolerance = kProduct,
                 .flops = 2.0 * static_cast<double>(g.output_elements()) * g.patch_size()};
  if (bias) op_case.inputs.push_back({Shape{g.out_channels}, Role::parameter});
  if (!bias) op_case.bfloat16_tolerance = kOneRounding;
  const Conv2dOptions options{g.stride, g.padding};
  op_case.run = [options](const std::vector<Tensor>& in) {
    return std::vector{conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), options)};
  };
  return op_case;
}

// relu(conv(x, w) + bias + residual) and conv(x, w) + bias on weights prepared once (in bfloat16:
// x, residual and the outputs bfloat16, the weights rounded to it when prepared; the GPU rounds
// the convolution once more before its tail, which the one-rounding tolerance covers).
OpCase fused_inference_case(const kernels::Conv2dGeometry& g) {
  const Conv2dOptions options{g.stride, g.padding};
  return {.family = "convolution",
          .name = "conv2d_fused " + describe(g),
          .inputs = {{input_shape(g), Role::inference_activation},
                     {weight_shape(g), Role::constant},
                     {Shape{g.out_channels}, Role::constant},
                     {output_shape(g), Role::inference_activation}},
          .run =
              [options](const std::vector<Tensor>& in) {
                const PreparedConv2d prepared =
                    prepare_conv2d(in[1], in[0].shape(), options, in[0].dtype());
                return std::vector{conv2d_fused(in[0], prepared, in[2], Tensor(), false),
                                   conv2d_fused(in[0], prepared, in[2], in[3], true)};
              },
          .float32_tolerance = kProduct,
          .bfloat16_tolerance = kOneRounding};
}

}  // namespace

void add_convolution_cases(std::vector<OpCase>& cases) {
  for (const kernels::Conv2dGeometry& g : kConvolutions) {
    cases.push_back(training_case(g, false, kBackends));
    cases.push_back(fused_inference_case(g));
  }
  for (const int index : {0, 2, 4})
    cases.push_back(training_case(kConvolutions[index], true, kBackends));
  for (const auto& [g, bias] : kGradientConvolutions) {
    cases.push_back(training_case(g, bias, kBackends | kGradients));
  }
  for (const ResNetLayer& layer : kResNet50Layers) {
    const int padding = layer.kernel / 2;
    const kernels::Conv2dGeometry g{64,
                                    layer.in_size,
                                    layer.in_size,
                                    layer.in_channels,
                                    layer.out_channels,
                                    layer.kernel,
                                    layer.kernel,
                                    layer.stride,
                                    padding};
    cases.push_back(training_case(g, false, kPerformance));
  }
}

}  // namespace ihd::op_cases
