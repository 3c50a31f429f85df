// CT windowing: maps Hounsfield units to display intensity through a (centre, width) window,
// v = clamp((HU - (C - W/2)) / W, 0, 1), and to 8 bits as round(255 v). Also the named windows
// radiologists use for head CT and the parsing of "C,W" strings from the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ihd::data {

struct Window {
  double center_hu = 40.0;
  double width_hu = 80.0;
};

inline constexpr Window brain_window{40.0, 80.0};
inline constexpr Window subdural_window{80.0, 200.0};
inline constexpr Window soft_tissue_window{40.0, 380.0};
inline constexpr Window bone_window{600.0, 2800.0};

// The three windows stacked as channels by default: brain, subdural, bone.
std::vector<Window> default_windows();

inline float window_unit(float hu, Window window) {
  const float low = static_cast<float>(window.center_hu - window.width_hu / 2.0);
  const float v = (hu - low) / static_cast<float>(window.width_hu);
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

// round(255 v) for v in [0, 1]; values outside are clamped first.
inline std::uint8_t unit_to_u8(float v) {
  const float clamped = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  return static_cast<std::uint8_t>(static_cast<int>(clamped * 255.0f + 0.5f));  // int: vectorises
}

inline std::uint8_t window_u8(float hu, Window window) {
  return unit_to_u8(window_unit(hu, window));
}

// "40,80" -> {40, 80}; "brain", "subdural", "soft", "bone" by name. Throws std::invalid_argument.
Window parse_window(const std::string& text);
// Several windows separated by '/' or ';': "40,80/80,200/600,2800" or "brain/subdural/bone".
std::vector<Window> parse_windows(const std::string& text);

}  // namespace ihd::data
