// Software rasterizer for a Drawing (drawing.h): anti-aliased polylines and circles (coverage from
// the distance to the shape), filled rectangles, and bitmap-font text; then PNG encoding through
// stb_image_write. Small and slow on purpose: figures are a few hundred thousand pixels.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "apps/training/drawing.h"

namespace ihd::training {

// 8-bit RGB, rows top to bottom, 3 bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;

  Color at(int x, int y) const;
};

RgbImage rasterize(const Drawing& drawing);

// PNG file bytes of image; throws std::runtime_error if encoding fails.
std::vector<unsigned char> encode_png(const RgbImage& image);

}  // namespace ihd::training
