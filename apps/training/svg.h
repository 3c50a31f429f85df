// SVG back end for a Drawing (drawing.h): one <svg> element, shapes in order, text as <text> in a
// monospace font sized so its advance matches the bitmap font's, so layouts fit in both back ends.
#pragma once

#include <string>
#include <string_view>

#include "apps/training/drawing.h"

namespace ihd::training {

std::string to_svg(const Drawing& drawing);

// text with &, <, >, " escaped for XML (SVG and HTML).
std::string escape_xml(std::string_view text);

}  // namespace ihd::training
