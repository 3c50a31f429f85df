// The picture ihd_predict --gradcam writes, at the input file's own size: the input's first
// (brain) window in grey, the heat map blended over it (weight 0.5 x heat, so that cold regions
// show the image as it is), a vertical colour bar at the right edge (the palette from 0 at the
// bottom to 1 at the top, framed, with "0" and "1" beside it), and a caption at the top left (the
// output's name and calibrated probability), white with a black outline. Bar, frame and text are
// drawn by cairo (apps/training/cairo_figure.h), the text in the sans-serif face of the report's
// charts, 12 px per 320 px of the short side; the colour bar is one pixel-aligned row per pixel,
// exactly the palette's colours.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/pipeline/inference.h"

namespace ihd::pipeline {

// The palette: blue -> cyan -> green -> yellow -> red for v in [0, 1], 8-bit RGB.
std::array<std::uint8_t, 3> heat_colour(float v);

// Where the colour bar's colours lie in an image of height x width pixels (its frame is outside).
struct ColourBarBox {
  int x = 0, y = 0, width = 0, height = 0;
};
ColourBarBox colour_bar_box(int height, int width);
// The value row `y` of the box shows: 1 at its top row, 0 at its bottom row.
float colour_bar_value(const ColourBarBox& box, int y);

// RGB, base.height x base.width x 3. heat has base's size, values in [0, 1].
std::vector<std::uint8_t> draw_grad_cam_image(const NativeView& base,
                                              const std::vector<float>& heat,
                                              const std::string& caption);

}  // namespace ihd::pipeline
