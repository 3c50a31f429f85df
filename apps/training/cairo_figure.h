// Renders a Drawing (drawing.h) with cairo: one function draws the shapes onto a cairo context,
// used by cairo's SVG surface and by its image surface for PNG, so the two files show the same
// figure with the same text. Text is set in the system's sans-serif face (fontconfig picks it:
// DejaVu Sans on Debian) through cairo's toy text API, with unhinted metrics so that widths are
// the same on both surfaces; text_box measures text exactly as it is drawn, for layouts that keep
// labels apart. In the SVG, cairo writes text as glyph outlines: it looks the same in every viewer;
// the words are also in the SVG's <desc>, one text a line, in drawing order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/training/drawing.h"

namespace ihd::training {

// An axis-aligned rectangle in pixels (y down).
struct Box {
  double left = 0;
  double top = 0;
  double right = 0;
  double bottom = 0;

  bool overlaps(const Box& other) const {
    return left < other.right && other.left < right && top < other.bottom && other.top < bottom;
  }
};

// The box text takes on the page: its advance along the baseline, and the font's ascent above and
// descent below it (so boxes of one font size line up whatever the letters), turned for vertical
// text.
Box text_box(const TextShape& text);

// The drawing as an SVG document (width and height in px), as PNG bytes (8-bit RGB, one pixel per
// unit) and as those pixels (RGB, row-major, height x width x 3). Each throws std::runtime_error
// with cairo's message if cairo fails.
std::string render_svg(const Drawing& drawing);
std::vector<unsigned char> render_png(const Drawing& drawing);
std::vector<std::uint8_t> render_rgb(const Drawing& drawing);

}  // namespace ihd::training
