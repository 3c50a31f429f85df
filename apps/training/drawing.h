// A figure as a flat list of shapes in pixel coordinates (origin top-left, y down). Chart layout
// (plot.h) and the Grad-CAM picture (apps/pipeline/grad_cam_image.h, an image with text over it)
// produce a Drawing once; cairo_figure.h renders it, to SVG, PNG or RGB pixels by one function,
// and measures its text in the same font, so a layout can keep labels apart. Keeping the shapes
// this few keeps the layout code readable and testable by its numbers.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ihd::training {

struct Color {
  std::uint8_t red = 0;
  std::uint8_t green = 0;
  std::uint8_t blue = 0;
};

struct Point {
  double x = 0;
  double y = 0;
};

// An open polyline of constant width; dashed lines alternate kDashOnPx drawn and kDashOffPx blank.
struct PolylineShape {
  std::vector<Point> points;
  Color color;
  double width_px = 2;
  bool dashed = false;
};
inline constexpr double kDashOnPx = 6;
inline constexpr double kDashOffPx = 4;

// A filled disc, with an outline ring when outline_width_px > 0.
struct CircleShape {
  Point center;
  double radius_px = 3;
  Color fill;
  double outline_width_px = 0;
  Color outline;
};

struct RectShape {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  Color fill;
};

enum class TextAlign { kStart, kMiddle, kEnd };

// One line of text in the sans-serif font. anchor is on the baseline: its x is the start, middle
// or end of the text as align says. Vertical text is turned a quarter turn counter-clockwise about
// the anchor (it reads bottom to top), as an SVG rotate(-90). With outline_width_px > 0 each
// letter is ringed in `outline` that wide (text over an image).
struct TextShape {
  Point anchor;
  std::string text;
  Color color;
  double font_size_px = 13;
  bool bold = false;
  TextAlign align = TextAlign::kStart;
  bool vertical = false;
  double outline_width_px = 0;
  Color outline{};
};

// A raster image, one pixel per unit, its top left at (x, y): 8-bit RGB, row-major,
// height x width x 3 bytes.
struct ImageShape {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;
};

using Shape = std::variant<PolylineShape, CircleShape, RectShape, TextShape, ImageShape>;

struct Drawing {
  int width = 0;
  int height = 0;
  Color background{255, 255, 255};
  std::vector<Shape> shapes;
};

}  // namespace ihd::training
