// Small HTML builders shared by the run report and the sweep report: a self-contained page
// (inline CSS, no external files), tables with escaped cells, and a figure block that embeds a
// Drawing as inline SVG, also saving it as SVG and PNG files beside the report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/training/drawing.h"

namespace ihd::training {

// A complete HTML document titled title around body.
std::string html_page(const std::string& title, const std::string& body);

// A <table>: header cells, then rows; every cell is escaped.
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

// Writes drawing to <figure_dir>/<name>.svg and .png and returns a <figure> with the SVG inline,
// captioned caption, with links to both files relative to the report (figure_dir_name/...).
std::string html_figure(const Drawing& drawing, const std::filesystem::path& figure_dir,
                        const std::string& figure_dir_name, const std::string& name,
                        const std::string& caption);

// A number with digits decimals, or "n/a" when it is not finite.
std::string format_metric(double value, int digits = 3);

}  // namespace ihd::training
