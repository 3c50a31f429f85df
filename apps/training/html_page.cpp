// HTML builders; see html_page.h.
#include "apps/training/html_page.h"

#include <cmath>
#include <cstdio>

#include "apps/training/plot.h"
#include "common/text.h"

namespace ihd::training {
namespace {

constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD, UTF-8

// RFC 4648 base64, with padding: what a data: URL carries.
std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (left > 1) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (left > 2) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += left > 1 ? kAlphabet[(group >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[group & 63] : '=';
  }
  return out;
}

}  // namespace

std::string html_page(const std::string& title, const std::string& body) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  page += escape_xml(title);
  page +=
      "</title>\n<style>\n"
      "body { font-family: sans-serif; margin: 2em; color: #1e1e1e; max-width: 1500px; }\n"
      "h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }\n"
      ".headline { font-size: 1.1em; background: #f4f7fb; border-left: 4px solid #005caf;"
      " padding: 0.6em 1em; }\n"
      ".table-scroll { overflow-x: auto; max-width: 100%; }\n"
      "table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }\n"
      "th, td { border: 1px solid #ccc; padding: 0.2em 0.45em; text-align: right; }\n"
      "th { background: #eef2f7; } td:first-child, th:first-child { text-align: left; }\n"
      "details { margin: 0.8em 0; } summary { cursor: pointer; font-weight: bold; }\n"
      ".figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));"
      " gap: 1em; }\n"
      "figure { margin: 0; } figure img { max-width: 100%; height: auto; }\n"
      "figcaption { font-size: 0.9em; color: #555; }\n"
      "</style>\n</head>\n<body>\n<h1>";
  page += escape_xml(title);
  page += "</h1>\n";
  page += body;
  page += "</body>\n</html>\n";
  return page;
}

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string table = "<div class=\"table-scroll\"><table>\n<tr>";
  for (const std::string& cell : header) {
    table += "<th>";
    table += escape_xml(cell);
    table += "</th>";
  }
  table += "</tr>\n";
  for (const auto& row : rows) {
    table += "<tr>";
    for (const std::string& cell : row) {
      table += "<td>";
      table += escape_xml(cell);
      table += "</td>";
    }
    table += "</tr>\n";
  }
  table += "</table></div>\n";
  return table;
}

std::string html_report_table(const ReportTable& table) {
  std::string html =
      "<h3>" + escape_xml(table.title) + "</h3>\n" + html_table(table.header, table.rows);
  if (!table.note.empty()) html += "<p>" + escape_xml(table.note) + "</p>\n";
  return html;
}

std::string html_details(const std::string& summary, const std::string& content) {
  return "<details><summary>" + escape_xml(summary) + "</summary>\n" + content + "</details>\n";
}

std::string html_figure(const Drawing& drawing, const std::filesystem::path& figure_dir,
                        const std::string& figure_dir_name, const std::string& name,
                        const std::string& caption) {
  std::filesystem::create_directories(figure_dir);
  const std::string svg = write_figure(drawing, figure_dir / name);
  const std::string link = escape_xml(figure_dir_name + "/" + name);
  std::string figure = "<figure id=\"figure-" + escape_xml(name) + "\">\n";
  figure += "<img src=\"data:image/svg+xml;base64," + base64(svg) + "\" width=\"" +
            std::to_string(drawing.width) + "\" height=\"" + std::to_string(drawing.height) +
            "\" alt=\"" + escape_xml(caption) + "\">\n";
  figure += "<figcaption>" + escape_xml(caption);
  figure += " (<a href=\"" + link + ".svg\">SVG</a>, <a href=\"" + link + ".png\">PNG</a>)";
  figure += "</figcaption>\n</figure>\n";
  return figure;
}

std::string format_metric(double value, int digits) {
  if (!std::isfinite(value)) return "n/a";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

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

}  // namespace ihd::training
