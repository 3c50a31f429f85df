// Named windows and the parsing of window strings.
#include "data/windowing.h"

#include <stdexcept>

namespace ihd::data {

std::vector<Window> default_windows() {
  return {brain_window, subdural_window, bone_window};
}

Window parse_window(const std::string& text) {
  if (text == "brain") return brain_window;
  if (text == "subdural") return subdural_window;
  if (text == "soft") return soft_tissue_window;
  if (text == "bone") return bone_window;
  const auto comma = text.find(',');
  if (comma == std::string::npos)
    throw std::invalid_argument("window '" + text + "': expected CENTER,WIDTH or a name");
  size_t used_center = 0, used_width = 0;
  Window window;
  try {
    window.center_hu = std::stod(text.substr(0, comma), &used_center);
    window.width_hu = std::stod(text.substr(comma + 1), &used_width);
  } catch (const std::exception&) {
    throw std::invalid_argument("window '" + text + "': expected CENTER,WIDTH numbers");
  }
  if (used_center != comma || used_width != text.size() - comma - 1 || !(window.width_hu > 0))
    throw std::invalid_argument("window '" + text + "': expected CENTER,WIDTH with WIDTH > 0");
  return window;
}

std::vector<Window> parse_windows(const std::string& text) {
  std::vector<Window> windows;
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find_first_of("/;", start);
    windows.push_back(parse_window(text.substr(start, end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return windows;
}

}  // namespace ihd::data
