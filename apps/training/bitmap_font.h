// Our own bitmap font for figure text: glyphs 5 pixels wide on a 9-row cell (rows 0-6 above the
// baseline, rows 7-8 for descenders), designed for this project. Covers digits, both letter cases,
// space and the punctuation the figures use; any other character draws as a hollow box.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace ihd::training {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphRows = 9;
inline constexpr int kGlyphCapHeight = 7;  // rows above the baseline
inline constexpr int kGlyphAdvance = 6;    // glyph width plus one blank column

// Row r of a glyph is rows[r]; column c is lit when rows[r][c] == '#'. Rows left empty (the
// descender rows of most glyphs) are blank.
using GlyphRows = std::array<std::string_view, kGlyphRows>;

const GlyphRows& glyph_for(char character);

inline bool glyph_pixel_lit(const GlyphRows& glyph, int row, int column) {
  const std::string_view line = glyph[static_cast<std::size_t>(row)];
  return static_cast<std::size_t>(column) < line.size() &&
         line[static_cast<std::size_t>(column)] == '#';
}

// Width in font pixels (before scaling) of text set in this font.
inline int text_width_font_px(std::string_view text) {
  return static_cast<int>(text.size()) * kGlyphAdvance;
}

}  // namespace ihd::training
