// cairo rendering of a Drawing; see cairo_figure.h. Text goes through valid_utf8 (common/text.h)
// first: cairo takes UTF-8 only; the SVG's <desc> escapes it with escape_xml (html_page.h).
#include "apps/training/cairo_figure.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <variant>

#include "apps/training/html_page.h"
#include "common/text.h"

#if !CAIRO_HAS_SVG_SURFACE || !CAIRO_HAS_PNG_FUNCTIONS
#error "ihd's figures need cairo built with its SVG surface and PNG functions"
#endif

namespace ihd::training {
namespace {

constexpr const char* kFontFamily = "sans-serif";

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cairo could not ") + what + ": " +
                             cairo_status_to_string(status));
  }
}

Context context_on(cairo_surface_t* surface) {
  check(cairo_surface_status(surface), "create a surface");
  Context context(cairo_create(surface));
  check(cairo_status(context.get()), "create a drawing context");
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(context.get(), options);
  cairo_font_options_destroy(options);
  return context;
}

void set_font(cairo_t* cr, const TextShape& text) {
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         text.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, text.font_size_px);
}

void set_color(cairo_t* cr, Color color) {
  cairo_set_source_rgb(cr, color.red / 255.0, color.green / 255.0, color.blue / 255.0);
}

// How far before the anchor the text starts, along the baseline.
double start_offset(cairo_t* cr, const TextShape& text, const std::string& utf8) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, utf8.c_str(), &extents);
  switch (text.align) {
    case TextAlign::kStart:
      return 0;
    case TextAlign::kMiddle:
      return extents.x_advance / 2;
    case TextAlign::kEnd:
      return extents.x_advance;
  }
  return 0;
}

void draw(cairo_t* cr, const PolylineShape& line) {
  if (line.points.empty()) return;
  cairo_set_line_width(cr, line.width_px);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, line.dashed ? CAIRO_LINE_CAP_BUTT : CAIRO_LINE_CAP_ROUND);
  const double dashes[] = {kDashOnPx, kDashOffPx};
  cairo_set_dash(cr, dashes, line.dashed ? 2 : 0, 0);
  cairo_move_to(cr, line.points[0].x, line.points[0].y);
  for (const Point& p : line.points) cairo_line_to(cr, p.x, p.y);
  set_color(cr, line.color);
  cairo_stroke(cr);
}

void draw(cairo_t* cr, const CircleShape& circle) {
  cairo_new_path(cr);
  cairo_arc(cr, circle.center.x, circle.center.y, circle.radius_px, 0, 2 * std::numbers::pi);
  set_color(cr, circle.fill);
  if (circle.outline_width_px <= 0) {
    cairo_fill(cr);
    return;
  }
  cairo_fill_preserve(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  cairo_set_line_width(cr, circle.outline_width_px);
  set_color(cr, circle.outline);
  cairo_stroke(cr);
}

void draw(cairo_t* cr, const RectShape& rect) {
  cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height);
  set_color(cr, rect.fill);
  cairo_fill(cr);
}

void draw(cairo_t* cr, const TextShape& text) {
  const std::string utf8 = valid_utf8(text.text);
  set_font(cr, text);
  cairo_save(cr);
  cairo_translate(cr, text.anchor.x, text.anchor.y);
  if (text.vertical) cairo_rotate(cr, -std::numbers::pi / 2);
  cairo_move_to(cr, -start_offset(cr, text, utf8), 0);
  if (text.outline_width_px > 0) {
    // The ring is the outer half of a stroke twice as wide; the letters are filled over the rest.
    cairo_text_path(cr, utf8.c_str());
    cairo_set_dash(cr, nullptr, 0, 0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, 2 * text.outline_width_px);
    set_color(cr, text.outline);
    cairo_stroke_preserve(cr);
    set_color(cr, text.color);
    cairo_fill(cr);
  } else {
    set_color(cr, text.color);
    cairo_show_text(cr, utf8.c_str());
  }
  cairo_restore(cr);
}

// Copies 8-bit RGB rows into a cairo RGB24 surface (one 32-bit 0x00RRGGBB word a pixel) and
// paints it unscaled at the image's place.
void draw(cairo_t* cr, const ImageShape& image) {
  if (image.width <= 0 || image.height <= 0) return;
  if (image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    throw std::runtime_error("an image shape's pixels do not match its size");
  }
  const Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height));
  check(cairo_surface_status(surface.get()), "create an image");
  cairo_surface_flush(surface.get());
  unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < image.height; ++y) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    const std::uint8_t* from = &image.rgb[static_cast<std::size_t>(y) * image.width * 3];
    for (int x = 0; x < image.width; ++x, from += 3) {
      row[x] = (std::uint32_t{from[0]} << 16) | (std::uint32_t{from[1]} << 8) | from[2];
    }
  }
  cairo_surface_mark_dirty(surface.get());
  cairo_set_source_surface(cr, surface.get(), image.x, image.y);
  cairo_paint(cr);
}

void draw_all(cairo_t* cr, const Drawing& drawing) {
  set_color(cr, drawing.background);
  cairo_paint(cr);
  for (const Shape& shape : drawing.shapes) {
    std::visit([cr](const auto& s) { draw(cr, s); }, shape);
  }
  check(cairo_status(cr), "draw a figure");
}

template <typename Bytes>
cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<Bytes*>(closure)->insert(static_cast<Bytes*>(closure)->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Box text_box(const TextShape& text) {
  // A scratch context: measuring needs a font, not a surface to draw on.
  thread_local const Surface scratch(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1));
  thread_local const Context cr = context_on(scratch.get());
  const std::string utf8 = valid_utf8(text.text);
  set_font(cr.get(), text);
  cairo_font_extents_t font;
  cairo_font_extents(cr.get(), &font);
  cairo_text_extents_t extents;
  cairo_text_extents(cr.get(), utf8.c_str(), &extents);
  const double before = start_offset(cr.get(), text, utf8);
  const double after = extents.x_advance - before;
  const Point a = text.anchor;
  if (text.vertical) {  // reading upwards: "before" is below the anchor, the ascent to its left
    return {a.x - font.ascent, a.y - after, a.x + font.descent, a.y + before};
  }
  return {a.x - before, a.y - font.ascent, a.x + after, a.y + font.descent};
}

std::string render_svg(const Drawing& drawing) {
  std::string svg;
  {
    const Surface surface(cairo_svg_surface_create_for_stream(append_bytes<std::string>, &svg,
                                                              drawing.width, drawing.height));
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    const Context cr = context_on(surface.get());
    draw_all(cr.get(), drawing);
    cairo_surface_finish(surface.get());
    check(cairo_surface_status(surface.get()), "write an SVG");
  }
  // cairo writes text as glyph outlines: the words go into a <desc> too, one text a line, for
  // search, copying and screen readers.
  std::string words;
  for (const Shape& shape : drawing.shapes) {
    if (const auto* text = std::get_if<TextShape>(&shape)) words += escape_xml(text->text) + "\n";
  }
  const std::size_t svg_start = svg.find("<svg");
  const std::size_t after_svg_tag =
      svg_start == std::string::npos ? svg_start : svg.find('>', svg_start);
  if (after_svg_tag == std::string::npos) throw std::runtime_error("cairo wrote no <svg> element");
  svg.insert(after_svg_tag + 1, "\n<desc>\n" + words + "</desc>");
  return svg;
}

std::vector<std::uint8_t> render_rgb(const Drawing& drawing) {
  const Surface surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, drawing.width, drawing.height));
  const Context cr = context_on(surface.get());
  draw_all(cr.get(), drawing);
  cairo_surface_flush(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(drawing.width) * drawing.height * 3);
  std::uint8_t* to = rgb.data();
  for (int y = 0; y < drawing.height; ++y) {
    const auto* row =
        reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < drawing.width; ++x) {
      *to++ = static_cast<std::uint8_t>(row[x] >> 16);
      *to++ = static_cast<std::uint8_t>(row[x] >> 8);
      *to++ = static_cast<std::uint8_t>(row[x]);
    }
  }
  return rgb;
}

std::vector<unsigned char> render_png(const Drawing& drawing) {
  const Surface surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, drawing.width, drawing.height));
  const Context cr = context_on(surface.get());
  draw_all(cr.get(), drawing);
  std::vector<unsigned char> png;
  check(cairo_surface_write_to_png_stream(surface.get(), append_bytes<std::vector<unsigned char>>,
                                          &png),
        "encode a PNG");
  return png;
}

}  // namespace ihd::training
