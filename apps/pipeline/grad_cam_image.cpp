// Grey base, heat blend, the colour bar and its frame, then the text: stb_easy_font (Debian's
// libstb-dev, already the PNG writer's package) lays out each character as axis-aligned segments,
// which are filled here at an integer scale, black and widened first (the outline), then white.
#include "apps/pipeline/grad_cam_image.h"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"

namespace ihd::pipeline {
namespace {

std::uint8_t to_byte(float unit) {
  return static_cast<std::uint8_t>(std::lround(255.0f * std::clamp(unit, 0.0f, 1.0f)));
}

struct RgbCanvas {
  std::vector<std::uint8_t>& rgb;
  int height, width;

  // Fills [x0, x1) x [y0, y1), clipped to the canvas.
  void fill(int x0, int y0, int x1, int y1, std::array<std::uint8_t, 3> colour) {
    for (int y = std::max(0, y0); y < std::min(height, y1); ++y) {
      for (int x = std::max(0, x0); x < std::min(width, x1); ++x) {
        std::copy(colour.begin(), colour.end(), &rgb[(static_cast<size_t>(y) * width + x) * 3]);
      }
    }
  }
};

constexpr std::array<std::uint8_t, 3> kWhite{255, 255, 255}, kBlack{0, 0, 0};

// The text's height in stb_easy_font units (one line), and its width.
constexpr int kFontUnitHeight = 12;
int text_width_units(const std::string& text) {
  return stb_easy_font_width(const_cast<char*>(text.c_str()));
}

// White text with a black outline one scale unit wide; (x, y) is its top left, `scale` pixels per
// font unit.
void outlined_text(RgbCanvas& canvas, const std::string& text, int x, int y, int scale) {
  std::vector<char> vertices(text.size() * 1024 + 64);  // 4 vertices of 16 bytes per segment
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(text.c_str()), nullptr,
                                        vertices.data(), static_cast<int>(vertices.size()));
  for (const int outline : {scale, 0}) {
    for (int q = 0; q < quads; ++q) {
      // Vertex 0 is the segment's top left, vertex 2 its bottom right (x, y, z as floats).
      float top_left[2], bottom_right[2];
      std::memcpy(top_left, &vertices[static_cast<size_t>(q) * 64], sizeof top_left);
      std::memcpy(bottom_right, &vertices[static_cast<size_t>(q) * 64 + 32], sizeof bottom_right);
      canvas.fill(x + static_cast<int>(std::lround(top_left[0] * scale)) - outline,
                  y + static_cast<int>(std::lround(top_left[1] * scale)) - outline,
                  x + static_cast<int>(std::lround(bottom_right[0] * scale)) + outline,
                  y + static_cast<int>(std::lround(bottom_right[1] * scale)) + outline,
                  outline ? kBlack : kWhite);
    }
  }
}

// Pixels per font unit: 1 up to 319 pixels on the short side, then one more per 160.
int caption_scale(int height, int width) {
  return std::max(1, std::min(height, width) / 160);
}

}  // namespace

std::array<std::uint8_t, 3> heat_colour(float v) {
  return {to_byte(1.5f - std::abs(4.0f * v - 3.0f)), to_byte(1.5f - std::abs(4.0f * v - 2.0f)),
          to_byte(1.5f - std::abs(4.0f * v - 1.0f))};
}

ColourBarBox colour_bar_box(int height, int width) {
  const int short_side = std::min(height, width);
  ColourBarBox box;
  box.width = std::max(3, short_side / 32);
  box.height = std::max(2, height / 2);
  box.x = std::max(0, width - std::max(2, short_side / 40) - box.width);
  box.y = (height - box.height) / 2;
  return box;
}

float colour_bar_value(const ColourBarBox& box, int y) {
  return box.height > 1 ? 1.0f - static_cast<float>(y - box.y) / static_cast<float>(box.height - 1)
                        : 1.0f;
}

std::vector<std::uint8_t> draw_grad_cam_image(const NativeView& base,
                                              const std::vector<float>& heat,
                                              const std::string& caption) {
  const int height = base.height, width = base.width;
  IHD_CHECK(heat.size() == base.values.size(), "heat map and image differ in size");
  std::vector<std::uint8_t> rgb(base.values.size() * 3);
  for (size_t i = 0; i < base.values.size(); ++i) {
    const std::array<std::uint8_t, 3> colour = heat_colour(heat[i]);
    const float weight = 0.5f * heat[i];
    for (int c = 0; c < 3; ++c) {
      rgb[i * 3 + c] =
          to_byte((1.0f - weight) * base.values[i] + weight * (colour[c] * (1.0f / 255.0f)));
    }
  }
  RgbCanvas canvas{rgb, height, width};
  const ColourBarBox box = colour_bar_box(height, width);
  canvas.fill(box.x - 1, box.y - 1, box.x + box.width + 1, box.y + box.height + 1, kWhite);
  for (int y = box.y; y < box.y + box.height; ++y) {
    canvas.fill(box.x, y, box.x + box.width, y + 1, heat_colour(colour_bar_value(box, y)));
  }
  const int scale = caption_scale(height, width);
  const int gap = 2 * scale;
  for (const auto& [label, y] :
       {std::pair<std::string, int>{"1", box.y},
        std::pair<std::string, int>{"0", box.y + box.height - kFontUnitHeight * scale}}) {
    outlined_text(canvas, label, box.x - gap - text_width_units(label) * scale, y, scale);
  }
  outlined_text(canvas, caption, gap, gap, scale);
  return rgb;
}

}  // namespace ihd::pipeline
