// Small HTML builders shared by the run report, the evaluation page and the sweep report: a
// self-contained page (inline CSS), tables with escaped cells (scrolling sideways when wider than
// the page), titled tables with a note, collapsed sections, and a figure block. A figure is
// written as SVG and PNG files beside the page and embedded in it as an <img> whose source is the
// SVG itself (a base64 data: URL): the page stays one self-contained file, and each figure's SVG
// keeps its own glyph and clip ids (cairo names them alike in every file, so SVGs pasted inline
// into one page would borrow each other's glyphs).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "apps/training/drawing.h"

namespace ihd::training {

// A complete HTML document titled title around body.
std::string html_page(const std::string& title, const std::string& body);

// A <table>: header cells, then rows; every cell is escaped.
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

// A table of its own on a page (an evaluation's calibration, its two levels side by side).
struct ReportTable {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string note;  // a sentence under the table; empty: none
};
// The table under an <h3> of its title, with its note.
std::string html_report_table(const ReportTable& table);

// A <details> block, collapsed, opened by clicking summary (escaped); content is HTML.
std::string html_details(const std::string& summary, const std::string& content);

// Writes drawing to <figure_dir>/<name>.svg and .png and returns a <figure id="figure-<name>">
// with the SVG as an <img>, captioned caption, with links to both files relative to the page
// (figure_dir_name/...).
std::string html_figure(const Drawing& drawing, const std::filesystem::path& figure_dir,
                        const std::string& figure_dir_name, const std::string& name,
                        const std::string& caption);

// A number with digits decimals, or "n/a" when it is not finite.
std::string format_metric(double value, int digits = 3);

// `text` for XML (SVG and HTML): made valid UTF-8 by valid_utf8 (common/text.h: bytes that are not
// UTF-8 read as Latin-1), &, <, > and " escaped, and the control characters XML cannot hold
// (below 0x20 but tab, newline and carriage return) replaced by U+FFFD.
std::string escape_xml(std::string_view text);

}  // namespace ihd::training
