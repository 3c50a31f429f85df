// Rasterizer and PNG encoder; see raster.h. Polylines and circles are drawn by coverage: each
// pixel centre within reach gets alpha = clamp(half_width + 0.5 - distance, 0, 1), kept as the
// maximum over the shape's segments (so joints do not darken) and blended once per shape.
// This translation unit compiles stb_image_write privately (STB_IMAGE_WRITE_STATIC), so it never
// clashes with another library that also compiles it.
#include "apps/training/raster.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "apps/training/bitmap_font.h"

namespace ihd::training {
namespace {

// Per-shape coverage over the whole image, with the bounding box of what was touched.
class CoverageMask {
 public:
  CoverageMask(int width, int height)
      : width_(width), height_(height), alpha_(static_cast<std::size_t>(width * height), 0.0f) {}

  void cover(int x, int y, double alpha) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_ || alpha <= 0) return;
    float& a = alpha_[static_cast<std::size_t>(y * width_ + x)];
    a = std::max(a, static_cast<float>(std::min(alpha, 1.0)));
    min_x_ = std::min(min_x_, x);
    max_x_ = std::max(max_x_, x);
    min_y_ = std::min(min_y_, y);
    max_y_ = std::max(max_y_, y);
  }

  void blend_into(RgbImage& image, Color color) const {
    for (int y = min_y_; y <= max_y_; ++y) {
      for (int x = min_x_; x <= max_x_; ++x) {
        const float a = alpha_[static_cast<std::size_t>(y * width_ + x)];
        if (a == 0) continue;
        std::uint8_t* pixel = &image.pixels[static_cast<std::size_t>((y * width_ + x) * 3)];
        const std::uint8_t channels[3] = {color.red, color.green, color.blue};
        for (int c = 0; c < 3; ++c) {
          pixel[c] =
              static_cast<std::uint8_t>(std::lround(pixel[c] + a * (channels[c] - pixel[c])));
        }
      }
    }
  }

 private:
  int width_;
  int height_;
  std::vector<float> alpha_;
  int min_x_ = 1 << 30;
  int max_x_ = -1;
  int min_y_ = 1 << 30;
  int max_y_ = -1;
};

double distance_to_segment(Point p, Point a, Point b) {
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double length_squared = dx * dx + dy * dy;
  double t = length_squared == 0 ? 0 : ((p.x - a.x) * dx + (p.y - a.y) * dy) / length_squared;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

void cover_segment(CoverageMask& mask, Point a, Point b, double width_px) {
  const double reach = width_px / 2 + 1;
  const int x0 = static_cast<int>(std::floor(std::min(a.x, b.x) - reach));
  const int x1 = static_cast<int>(std::ceil(std::max(a.x, b.x) + reach));
  const int y0 = static_cast<int>(std::floor(std::min(a.y, b.y) - reach));
  const int y1 = static_cast<int>(std::ceil(std::max(a.y, b.y) + reach));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double d = distance_to_segment({x + 0.5, y + 0.5}, a, b);
      mask.cover(x, y, std::clamp(width_px / 2 + 0.5 - d, 0.0, 1.0));
    }
  }
}

// Splits a polyline into its drawn dashes, the pattern running on across vertices.
std::vector<std::pair<Point, Point>> dash_segments(const std::vector<Point>& points) {
  std::vector<std::pair<Point, Point>> dashes;
  const double period = kDashOnPx + kDashOffPx;
  double phase = 0;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    const Point a = points[i];
    const Point b = points[i + 1];
    const double length = std::hypot(b.x - a.x, b.y - a.y);
    double s = 0;
    while (s < length) {
      const double in_period = std::fmod(phase + s, period);
      const double run = in_period < kDashOnPx ? kDashOnPx - in_period : period - in_period;
      const double end = std::min(length, s + run);
      if (in_period < kDashOnPx) {
        const auto at = [&](double u) {
          return Point{a.x + (b.x - a.x) * u / length, a.y + (b.y - a.y) * u / length};
        };
        dashes.emplace_back(at(s), at(end));
      }
      s = end;
    }
    phase += length;
  }
  return dashes;
}

void draw_polyline(RgbImage& image, const PolylineShape& line) {
  CoverageMask mask(image.width, image.height);
  if (line.dashed) {
    for (const auto& [a, b] : dash_segments(line.points)) cover_segment(mask, a, b, line.width_px);
  } else if (line.points.size() == 1) {
    cover_segment(mask, line.points[0], line.points[0], line.width_px);
  } else {
    for (std::size_t i = 0; i + 1 < line.points.size(); ++i) {
      cover_segment(mask, line.points[i], line.points[i + 1], line.width_px);
    }
  }
  mask.blend_into(image, line.color);
}

void draw_circle(RgbImage& image, const CircleShape& circle) {
  CoverageMask mask(image.width, image.height);
  cover_segment(mask, circle.center, circle.center, 2 * circle.radius_px);
  mask.blend_into(image, circle.color);
}

void set_pixel(RgbImage& image, int x, int y, Color color) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  std::uint8_t* pixel = &image.pixels[static_cast<std::size_t>((y * image.width + x) * 3)];
  pixel[0] = color.red;
  pixel[1] = color.green;
  pixel[2] = color.blue;
}

void draw_rect(RgbImage& image, const RectShape& rect) {
  const int x0 = static_cast<int>(std::lround(rect.x));
  const int y0 = static_cast<int>(std::lround(rect.y));
  const int x1 = static_cast<int>(std::lround(rect.x + rect.width));
  const int y1 = static_cast<int>(std::lround(rect.y + rect.height));
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) set_pixel(image, x, y, rect.fill);
  }
}

void draw_text(RgbImage& image, const TextShape& text) {
  const int scale = text.scale;
  const int width = text_width_font_px(text.text) * scale;
  double start = 0;
  if (text.align == TextAlign::kMiddle) start = -width / 2.0;
  if (text.align == TextAlign::kEnd) start = -width;
  const int anchor_x = static_cast<int>(std::lround(text.anchor.x));
  const int anchor_y = static_cast<int>(std::lround(text.anchor.y));
  for (std::size_t i = 0; i < text.text.size(); ++i) {
    const GlyphRows& glyph = glyph_for(text.text[i]);
    const int glyph_x =
        static_cast<int>(std::lround(start)) + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int row = 0; row < kGlyphRows; ++row) {
      for (int column = 0; column < kGlyphWidth; ++column) {
        if (!glyph_pixel_lit(glyph, row, column)) continue;
        for (int dy = 0; dy < scale; ++dy) {
          for (int dx = 0; dx < scale; ++dx) {
            // Offsets in the text's own frame: along the text, and down from the baseline.
            const int along = glyph_x + column * scale + dx;
            const int down = (row - kGlyphCapHeight) * scale + dy;
            if (text.vertical) {
              set_pixel(image, anchor_x + down, anchor_y - along - 1, text.color);
            } else {
              set_pixel(image, anchor_x + along, anchor_y + down, text.color);
            }
          }
        }
      }
    }
  }
}

void append_bytes(void* context, void* data, int size) {
  auto* bytes = static_cast<std::vector<unsigned char>*>(context);
  const auto* begin = static_cast<const unsigned char*>(data);
  bytes->insert(bytes->end(), begin, begin + size);
}

}  // namespace

Color RgbImage::at(int x, int y) const {
  const std::uint8_t* pixel = &pixels[static_cast<std::size_t>((y * width + x) * 3)];
  return {pixel[0], pixel[1], pixel[2]};
}

RgbImage rasterize(const Drawing& drawing) {
  RgbImage image;
  image.width = drawing.width;
  image.height = drawing.height;
  image.pixels.resize(static_cast<std::size_t>(drawing.width * drawing.height * 3));
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = drawing.background.red;
    image.pixels[i + 1] = drawing.background.green;
    image.pixels[i + 2] = drawing.background.blue;
  }
  for (const Shape& shape : drawing.shapes) {
    if (const auto* line = std::get_if<PolylineShape>(&shape)) draw_polyline(image, *line);
    if (const auto* circle = std::get_if<CircleShape>(&shape)) draw_circle(image, *circle);
    if (const auto* rect = std::get_if<RectShape>(&shape)) draw_rect(image, *rect);
    if (const auto* text = std::get_if<TextShape>(&shape)) draw_text(image, *text);
  }
  return image;
}

std::vector<unsigned char> encode_png(const RgbImage& image) {
  std::vector<unsigned char> bytes;
  if (!stbi_write_png_to_func(append_bytes, &bytes, image.width, image.height, 3,
                              image.pixels.data(), image.width * 3)) {
    throw std::runtime_error("PNG encoding failed for a " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + " image");
  }
  return bytes;
}

}  // namespace ihd::training
