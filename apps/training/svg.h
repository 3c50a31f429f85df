// SVG back end for a Drawing (drawing.h): one <svg> element, shapes in order, text as <text> in a
// monospace font sized so its advance matches the bitmap font's, so layouts fit in both back ends.
#pragma once

#include <string>
#include <string_view>

#include "apps/training/drawing.h"

namespace ihd::training {

std::string to_svg(const Drawing& drawing);

// `text` for XML (SVG and HTML): made valid UTF-8 by valid_utf8 (common/text.h: bytes that are not
// UTF-8 read as Latin-1), &, <, > and " escaped, and the control characters XML cannot hold
// (below 0x20 but tab, newline and carriage return) replaced by U+FFFD.
std::string escape_xml(std::string_view text);

}  // namespace ihd::training
