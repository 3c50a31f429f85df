// A figure as a flat list of shapes in pixel coordinates (origin top-left, y down). Chart layout
// (plot.h) produces a Drawing once; two back ends render it: SVG text (svg.h) and an RGB raster
// for PNG (raster.h). Keeping the shapes this small keeps both back ends short and identical in
// what they show.
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

struct CircleShape {
  Point center;
  double radius_px = 3;
  Color color;
};

struct RectShape {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  Color fill;
};

enum class TextAlign { kStart, kMiddle, kEnd };

// Text in the bitmap font (bitmap_font.h) magnified scale times. anchor is on the baseline: its x
// is the start, middle or end of the text as align says. Vertical text is turned a quarter turn
// counter-clockwise about the anchor (it reads bottom to top), as an SVG rotate(-90).
struct TextShape {
  Point anchor;
  std::string text;
  Color color;
  int scale = 2;
  TextAlign align = TextAlign::kStart;
  bool vertical = false;
};

using Shape = std::variant<PolylineShape, CircleShape, RectShape, TextShape>;

struct Drawing {
  int width = 0;
  int height = 0;
  Color background{255, 255, 255};
  std::vector<Shape> shapes;
};

}  // namespace ihd::training
