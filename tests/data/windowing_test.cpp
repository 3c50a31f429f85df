// Windowing, channel stacking and resizing against values computed by hand.
#include "data/windowing.h"

#include <doctest/doctest.h>

#include <vector>

#include "data/resize.h"
#include "data/slice_preparation.h"

namespace ihd::data {

TEST_CASE("data: brain window 40/80 maps HU to 8 bits by round(255 v)") {
  // Window [0, 80] HU: v = HU / 80.
  CHECK(window_u8(-1000.0f, brain_window) == 0);
  CHECK(window_u8(0.0f, brain_window) == 0);
  CHECK(window_u8(20.0f, brain_window) == 64);   // 63.75 -> 64
  CHECK(window_u8(40.0f, brain_window) == 128);  // 127.5 -> 128
  CHECK(window_u8(70.0f, brain_window) == 223);  // 223.125 -> 223
  CHECK(window_u8(80.0f, brain_window) == 255);
  CHECK(window_u8(1000.0f, brain_window) == 255);
  // Bone 600/2800: [-800, 2000]; HU 600 -> 0.5 -> 128; HU 0 -> 800/2800*255 = 72.86 -> 73.
  CHECK(window_u8(600.0f, bone_window) == 128);
  CHECK(window_u8(0.0f, bone_window) == 73);
  // Subdural 80/200: [-20, 180]; HU 60 -> 0.4 -> 102.
  CHECK(window_u8(60.0f, subdural_window) == 102);
  CHECK(window_unit(30.0f, Window{30.0, 10.0}) == doctest::Approx(0.5));
}

TEST_CASE("data: window strings parse by number and by name and reject junk") {
  CHECK(parse_window("40,80").center_hu == 40.0);
  CHECK(parse_window("-600,1500").width_hu == 1500.0);
  CHECK(parse_window("bone").center_hu == 600.0);
  const auto windows = parse_windows("brain/80,200;bone");
  REQUIRE(windows.size() == 3);
  CHECK(windows[1].width_hu == 200.0);
  CHECK_THROWS_AS(parse_window("40"), std::invalid_argument);
  CHECK_THROWS_AS(parse_window("40,0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_window("40,80x"), std::invalid_argument);
}

TEST_CASE("data: prepare_image stacks windows as interleaved channels at native size") {
  HuImage slice;
  slice.rows = 1;
  slice.columns = 2;
  slice.hu = {40.0f, 600.0f};
  const HuImage* slices[] = {&slice, &slice, &slice};
  const auto channels = window_channels(default_windows());
  const auto image = prepare_image(slices, channels, 0);
  REQUIRE(image.channels == 3);
  REQUIRE(image.pixels.size() == 6);
  // Pixel 0 (40 HU): brain 128, subdural (40+20)/200 = 0.3 -> 77, bone 840/2800 = 0.3 -> 77.
  CHECK(image.pixels[0] == 128);
  CHECK(image.pixels[1] == 77);
  CHECK(image.pixels[2] == 77);
  // Pixel 1 (600 HU): brain 255, subdural 255, bone 128.
  CHECK(image.pixels[3] == 255);
  CHECK(image.pixels[4] == 255);
  CHECK(image.pixels[5] == 128);
  CHECK(describe_channels(channels) == "0@40,80/0@80,200/0@600,2800");
}

TEST_CASE("data: adjacent-slice channels read previous, current and next slices") {
  HuImage previous, current, next;
  for (auto* s : {&previous, &current, &next}) {
    s->rows = s->columns = 1;
  }
  previous.hu = {0.0f};
  current.hu = {40.0f};
  next.hu = {80.0f};
  const HuImage* slices[] = {&previous, &current, &next};
  const auto image = prepare_image(slices, adjacent_slice_channels(brain_window), 0);
  CHECK(image.pixels == std::vector<std::uint8_t>{0, 128, 255});
}

TEST_CASE("data: area resize averages whole blocks when shrinking by an integer factor") {
  // 4x4 -> 2x2: each output is the mean of a 2x2 block.
  const std::vector<float> source = {1, 2, 10, 20, 3, 4, 30, 40, 5, 5, 0, 0, 5, 5, 0, 8};
  std::vector<float> out(4);
  resize_image(source.data(), 4, 4, 1, out.data(), 2, 2);
  CHECK(out[0] == doctest::Approx(2.5));
  CHECK(out[1] == doctest::Approx(25.0));
  CHECK(out[2] == doctest::Approx(5.0));
  CHECK(out[3] == doctest::Approx(2.0));
}

TEST_CASE("data: area resize weights partial overlaps (3 -> 2)") {
  // Output 0 covers source [0, 1.5): (a + 0.5 b) / 1.5.
  const std::vector<float> source = {3, 6, 9};
  std::vector<float> out(2);
  resize_image(source.data(), 1, 3, 1, out.data(), 1, 2);
  CHECK(out[0] == doctest::Approx((3 + 0.5 * 6) / 1.5));
  CHECK(out[1] == doctest::Approx((0.5 * 6 + 9) / 1.5));
}

TEST_CASE("data: bilinear resize when growing aligns pixel centres and clamps edges") {
  // 2 -> 4: outputs at source positions -0.25, 0.25, 0.75, 1.25 -> clamp, 0.25, 0.75, clamp.
  const std::vector<float> source = {0, 100};
  std::vector<float> out(4);
  resize_image(source.data(), 1, 2, 1, out.data(), 1, 4);
  CHECK(out[0] == doctest::Approx(0));
  CHECK(out[1] == doctest::Approx(25));
  CHECK(out[2] == doctest::Approx(75));
  CHECK(out[3] == doctest::Approx(100));
}

TEST_CASE("data: resize keeps channels apart and u8 resize rounds") {
  const std::vector<std::uint8_t> source = {10, 200, 11, 201, 12, 202, 13, 203};  // 2x2, 2 channels
  std::vector<std::uint8_t> out(2);
  resize_image_u8(source.data(), 2, 2, 2, out.data(), 1, 1);
  CHECK(out[0] == 12);   // 11.5 -> 12
  CHECK(out[1] == 202);  // 201.5 -> 202
}

}  // namespace ihd::data
