// HTML builders; see html_page.h.
#include "apps/training/html_page.h"

#include <cmath>
#include <cstdio>

#include "apps/training/plot.h"
#include "apps/training/svg.h"

namespace ihd::training {

std::string html_page(const std::string& title, const std::string& body) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  page += escape_xml(title);
  page +=
      "</title>\n<style>\n"
      "body { font-family: sans-serif; margin: 2em; color: #1e1e1e; max-width: 1500px; }\n"
      "h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }\n"
      "table { border-collapse: collapse; margin: 0.8em 0; }\n"
      "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }\n"
      "th { background: #eef2f7; } td:first-child, th:first-child { text-align: left; }\n"
      ".figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));"
      " gap: 1em; }\n"
      "figure { margin: 0; } figure svg { width: 100%; height: auto; }\n"
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
  std::string table = "<table>\n<tr>";
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
  table += "</table>\n";
  return table;
}

std::string html_figure(const Drawing& drawing, const std::filesystem::path& figure_dir,
                        const std::string& figure_dir_name, const std::string& name,
                        const std::string& caption) {
  std::filesystem::create_directories(figure_dir);
  write_figure(drawing, figure_dir / name);
  const std::string link = escape_xml(figure_dir_name + "/" + name);
  std::string figure = "<figure id=\"figure-";
  figure += escape_xml(name);
  figure += "\">\n";
  figure += to_svg(drawing);
  figure += "<figcaption>";
  figure += escape_xml(caption);
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

}  // namespace ihd::training
