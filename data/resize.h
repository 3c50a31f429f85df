// Image resizing for interleaved float images (H x W x C): per axis, an area (box) filter where
// the image shrinks, so every source pixel contributes by its overlap, and bilinear interpolation
// (pixel centres aligned, edges clamped) where it grows. Separable: the height first (each output
// row a weighted sum of whole source rows), then the width.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ihd::data {

void resize_image(const float* source, int source_height, int source_width, int channels,
                  float* destination, int height, int width);

// The same over source rows made on demand: source_row(r) returns row r (source_width x channels
// floats), valid until the next call; a row may be asked for more than once. For images computed
// from another (prepare_image's windows), so that the full-size one is never stored.
void resize_rows(int source_height, int source_width, int channels,
                 const std::function<const float*(int row)>& source_row, float* destination,
                 int height, int width);

// The same for 8-bit pixels, rounding the filtered values.
void resize_image_u8(const std::uint8_t* source, int source_height, int source_width, int channels,
                     std::uint8_t* destination, int height, int width);

}  // namespace ihd::data
