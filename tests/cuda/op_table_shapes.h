// The shapes both CPU-versus-CUDA op tables (float32 and bfloat16) run every kernel at: batch 1,
// odd sizes, channel counts that are not multiples of 8, real ResNet-50 layer shapes, and (float32
// only) the sequence kernels' padded batches.
#pragma once

#include <cstdint>

#include "kernels/geometry.h"

namespace ihd::cuda_test {

struct BatchNormShape {
  int64_t rows;  // N*H*W
  int channels;
};
constexpr BatchNormShape kBatchNormShapes[] = {
    {2, 3},               // tiny (less than one bfloat16 vector)
    {245, 13},            // 5 x 7 x 7, 13 channels (bfloat16 vectors span rows)
    {1 * 7 * 7, 2048},    // layer4 at batch 1
    {2 * 112 * 112, 64},  // stem
    {2 * 56 * 56, 256},   // layer1 expansion
    {2 * 14 * 14, 1024},  // layer3 expansion
};

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

// batch, in_height, in_width, channels, kernel, stride, padding
constexpr kernels::Pool2dGeometry kMaxPools[] = {
    {2, 112, 112, 64, 3, 2, 1},  // the stem's pool
    {1, 7, 9, 5, 3, 2, 1},       // odd sizes
    {3, 6, 6, 3, 2, 2, 0},       // non-overlapping
    {2, 5, 5, 11, 3, 1, 1},      // stride 1: each input in up to 9 windows
};

struct GlobalPoolShape {
  int batch;
  int64_t pixels;
  int channels;
};
constexpr GlobalPoolShape kGlobalPools[] = {{2, 7 * 7, 2048}, {1, 1, 3}, {3, 15, 13}};

// The sequence kernels (float32 only). The first series of each batch is full length, the
// others draw theirs from 1..steps; their padding holds NaN.
// batch, steps, input_size, hidden_size
constexpr kernels::GruGeometry kGrus[] = {
    {1, 1, 3, 2},       // one step, batch 1
    {3, 7, 5, 4},       // odd sizes, masked tails
    {5, 13, 33, 17},    // hidden size not a multiple of 8
    {8, 24, 256, 128},  // the study model: 24 slices of 256-feature embeddings
    {2, 60, 512, 64},   // long series
};
// batch, steps, in_channels, out_channels, kernel, dilation
constexpr kernels::TemporalConvGeometry kTemporalConvs[] = {
    {1, 1, 3, 2, 3, 1},       // one step, batch 1
    {3, 9, 5, 7, 3, 2},       // odd sizes, dilation 2
    {2, 8, 4, 3, 5, 4},       // taps past both ends of every series
    {8, 24, 256, 256, 3, 1},  // study-model shapes
    {8, 24, 256, 256, 5, 4},  // dilated
};

}  // namespace ihd::cuda_test
