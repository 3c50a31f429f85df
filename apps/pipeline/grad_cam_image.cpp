// Grey base and heat blend as pixels, then the colour bar, its frame and the text as shapes over
// them (apps/training/drawing.h), rendered by cairo (cairo_figure.h) as the report's charts are.
#include "apps/pipeline/grad_cam_image.h"

#include <algorithm>
#include <cmath>

#include "apps/training/cairo_figure.h"
#include "apps/training/drawing.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

std::uint8_t to_byte(float unit) {
  return static_cast<std::uint8_t>(std::lround(255.0f * std::clamp(unit, 0.0f, 1.0f)));
}

constexpr training::Color kWhite{255, 255, 255}, kBlack{0, 0, 0};

// Pixels per 12 px of text (and per pixel of outline): 1 up to 319 pixels on the short side,
// then one more per 160.
int caption_scale(int height, int width) {
  return std::max(1, std::min(height, width) / 160);
}

// White text outlined in black, of `scale`, anchored at x on the baseline.
training::TextShape outlined_text(const std::string& text, double x, int scale,
                                  training::TextAlign align) {
  training::TextShape shape;
  shape.anchor = {x, 0};
  shape.text = text;
  shape.color = kWhite;
  shape.font_size_px = 12.0 * scale;
  shape.align = align;
  shape.outline_width_px = scale;
  shape.outline = kBlack;
  return shape;
}

// `text` moved down so that its top (the font's ascent, and its outline) is at `top`.
training::TextShape with_top_at(training::TextShape text, double top) {
  text.anchor.y = top - training::text_box(text).top + text.outline_width_px;
  return text;
}

// `text` moved so that its bottom (the font's descent, and its outline) is at `bottom`.
training::TextShape with_bottom_at(training::TextShape text, double bottom) {
  text.anchor.y = bottom - training::text_box(text).bottom - text.outline_width_px;
  return text;
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
  training::Drawing drawing;
  drawing.width = width;
  drawing.height = height;
  drawing.shapes.push_back(training::ImageShape{
      .x = 0, .y = 0, .width = width, .height = height, .rgb = std::move(rgb)});
  const ColourBarBox box = colour_bar_box(height, width);
  drawing.shapes.push_back(
      training::RectShape{box.x - 1.0, box.y - 1.0, box.width + 2.0, box.height + 2.0, kWhite});
  for (int y = box.y; y < box.y + box.height; ++y) {
    const std::array<std::uint8_t, 3> colour = heat_colour(colour_bar_value(box, y));
    drawing.shapes.push_back(training::RectShape{static_cast<double>(box.x),
                                                 static_cast<double>(y),
                                                 static_cast<double>(box.width),
                                                 1.0,
                                                 {colour[0], colour[1], colour[2]}});
  }
  const int scale = caption_scale(height, width);
  const double gap = 2 * scale;
  const double labels_end = box.x - gap;
  drawing.shapes.push_back(
      with_top_at(outlined_text("1", labels_end, scale, training::TextAlign::kEnd), box.y));
  drawing.shapes.push_back(with_bottom_at(
      outlined_text("0", labels_end, scale, training::TextAlign::kEnd), box.y + box.height));
  if (!caption.empty()) {
    drawing.shapes.push_back(
        with_top_at(outlined_text(caption, gap, scale, training::TextAlign::kStart), gap));
  }
  return training::render_rgb(drawing);
}

}  // namespace ihd::pipeline
