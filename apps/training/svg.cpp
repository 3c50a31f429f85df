// SVG writer; see svg.h. Coordinates are written with two decimals; colours as #rrggbb; text is
// made valid UTF-8 by common/text's one rule (valid_utf8) before it is escaped.
#include "apps/training/svg.h"

#include <cstdio>
#include <variant>

#include "common/text.h"

namespace ihd::training {
namespace {

constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD, UTF-8

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

std::string hex(Color color) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", color.red, color.green, color.blue);
  return buffer;
}

void append_shape(std::string& out, const PolylineShape& line) {
  out += "<polyline fill=\"none\" stroke=\"" + hex(line.color) + "\" stroke-width=\"" +
         number(line.width_px) + "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
  if (line.dashed)
    out += " stroke-dasharray=\"" + number(kDashOnPx) + " " + number(kDashOffPx) + "\"";
  out += " points=\"";
  for (const Point& p : line.points) out += number(p.x) + "," + number(p.y) + " ";
  out += "\"/>\n";
}

void append_shape(std::string& out, const CircleShape& circle) {
  out += "<circle cx=\"" + number(circle.center.x) + "\" cy=\"" + number(circle.center.y) +
         "\" r=\"" + number(circle.radius_px) + "\" fill=\"" + hex(circle.color) + "\"/>\n";
}

void append_shape(std::string& out, const RectShape& rect) {
  out += "<rect x=\"" + number(rect.x) + "\" y=\"" + number(rect.y) + "\" width=\"" +
         number(rect.width) + "\" height=\"" + number(rect.height) + "\" fill=\"" + hex(rect.fill) +
         "\"/>\n";
}

void append_shape(std::string& out, const TextShape& text) {
  static constexpr const char* kAnchors[] = {"start", "middle", "end"};
  // A monospace font's advance is about 0.6 of its size: size 10 * scale advances 6 * scale.
  const double font_size = 10.0 * text.scale;
  const std::string x = number(text.anchor.x);
  const std::string y = number(text.anchor.y);
  out += "<text x=\"" + x + "\" y=\"" + y + "\" font-family=\"monospace\" font-size=\"" +
         number(font_size) + "\" fill=\"" + hex(text.color) + "\" text-anchor=\"" +
         kAnchors[static_cast<int>(text.align)] + "\"";
  if (text.vertical) out += " transform=\"rotate(-90 " + x + " " + y + ")\"";
  out += '>';
  out += escape_xml(text.text);
  out += "</text>\n";
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  for (const char c : valid_utf8(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        break;
      default:
        // XML 1.0 cannot hold the other control characters, not even as references.
        out += static_cast<unsigned char>(c) < 0x20 ? kReplacementCharacter : std::string(1, c);
    }
  }
  return out;
}

std::string to_svg(const Drawing& drawing) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(drawing.width) + "\" height=\"" +
                    std::to_string(drawing.height) + "\" viewBox=\"0 0 " +
                    std::to_string(drawing.width) + " " + std::to_string(drawing.height) + "\">\n";
  append_shape(out, RectShape{0, 0, static_cast<double>(drawing.width),
                              static_cast<double>(drawing.height), drawing.background});
  for (const Shape& shape : drawing.shapes) {
    std::visit([&](const auto& s) { append_shape(out, s); }, shape);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ihd::training
