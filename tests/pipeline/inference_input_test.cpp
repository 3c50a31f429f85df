// What ihd_predict reads and draws, with a small untrained model (no run needed): a DICOM file
// whose Modality is not CT is refused with one line naming the file and the flag that allows it;
// a Grad-CAM image has the input file's own size (DICOM Rows x Columns, PNG width x height) and
// its colour bar shows the palette; the picture blends the heat over the image and draws its
// caption.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "apps/pipeline/grad_cam.h"
#include "apps/pipeline/grad_cam_image.h"
#include "apps/pipeline/inference.h"
#include "apps/pipeline/model_setup.h"
#include "common/error.h"
#include "data/png_io.h"
#include "pipeline/untrained_model.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

fs::path pydicom_file(const std::string& name) {
  return fs::path(IHD_PYDICOM_TEST_FILES) / name;
}

}  // namespace

TEST_CASE("a DICOM file that is not CT is refused, naming the file and --allow-non-ct") {
  const TrainOptions options;
  const fs::path mr = pydicom_file("MR_small.dcm");
  try {
    prepare_inputs(mr, options, InputReading{});
    FAIL("MR_small.dcm was read as CT");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_ct);
    CHECK(std::string(error.what()) ==
          mr.string() +
              ": Modality MR, not CT: the model reads head CT (--allow-non-ct to score it anyway)");
  }
  CHECK(prepare_inputs(mr, options, InputReading{.allow_non_ct = true}).at(0).pixels.size() ==
        static_cast<size_t>(options.image_size) * options.image_size * options.channels);
  CHECK(prepare_inputs(pydicom_file("CT_small.dcm"), options, InputReading{}).size() == 1);
}

TEST_CASE("Grad-CAM images have the input's own size and the palette's colour bar") {
  const TrainedModel trained = untrained_model(64);
  const fs::path dir = fs::temp_directory_path() / "ihd_grad_cam_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A PNG of 90 x 70, and CT_small.dcm (128 x 128).
  std::vector<std::uint8_t> grey(70 * 90);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<std::uint8_t>(i % 251);
  data::write_png(dir / "wide.png", grey.data(), 70, 90, 1);
  const InputReading reading{.keep_native_view = true};
  for (const auto& [file, height, width] :
       {std::tuple{dir / "wide.png", 70, 90}, std::tuple{pydicom_file("CT_small.dcm"), 128, 128}}) {
    CAPTURE(file);
    const PreparedInput input = prepare_inputs(file, trained.options, reading).at(0);
    CHECK(input.native_view.height == height);
    CHECK(input.native_view.width == width);
    write_grad_cam(trained, input, 0.5, 0.5, dir, Device::cpu());
    const data::PngImage image = data::read_png(dir / (input.id + "_gradcam.png"));
    REQUIRE(image.height == height);
    REQUIRE(image.width == width);
    REQUIRE(image.channels == 3);
    auto pixel = [&](int x, int y) {
      const std::uint8_t* p = &image.pixels[(static_cast<size_t>(y) * width + x) * 3];
      return std::array<std::uint8_t, 3>{p[0], p[1], p[2]};
    };
    const ColourBarBox box = colour_bar_box(height, width);
    REQUIRE(box.x + box.width <= width);
    for (int y = box.y; y < box.y + box.height; ++y) {
      for (int x = box.x; x < box.x + box.width; ++x) {
        REQUIRE(pixel(x, y) == heat_colour(colour_bar_value(box, y)));
      }
    }
    CHECK(pixel(box.x, box.y) == heat_colour(1.0f));                   // red at the top
    CHECK(pixel(box.x, box.y + box.height - 1) == heat_colour(0.0f));  // blue at the bottom
  }
  CHECK(grad_cam_caption("any", 0.8734, 0.5) == "any 0.873 (positive)");
  CHECK(grad_cam_caption("subdural", 0.2, 0.25) == "subdural 0.200 (negative)");
  CHECK(grad_cam_caption("any", 0.25, 0.25) == "any 0.250 (positive)");
  CHECK(heat_colour(0.0f) == std::array<std::uint8_t, 3>{0, 0, 128});
  CHECK(heat_colour(1.0f) == std::array<std::uint8_t, 3>{128, 0, 0});
  fs::remove_all(dir);
}

TEST_CASE("the Grad-CAM picture blends the heat over the grey image and draws its caption") {
  const int height = 200, width = 300;
  NativeView base{height, width, std::vector<float>(static_cast<size_t>(height) * width, 0.5f)};
  std::vector<float> heat(base.values.size(), 0.0f);
  for (int y = 100; y < 150; ++y) {
    for (int x = 100; x < 150; ++x) heat[static_cast<size_t>(y) * width + x] = 1.0f;
  }
  const std::vector<std::uint8_t> plain = draw_grad_cam_image(base, heat, "");
  const std::vector<std::uint8_t> captioned =
      draw_grad_cam_image(base, heat, "any 0.873 (positive)");
  REQUIRE(plain.size() == base.values.size() * 3);
  auto pixel = [&](const std::vector<std::uint8_t>& rgb, int x, int y) {
    const std::uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
    return std::array<std::uint8_t, 3>{p[0], p[1], p[2]};
  };
  // Cold: the grey image as it is (0.5 -> 128). Hot: half grey, half the palette's red
  // (128, 0, 0): 255 x (0.25 + 0.5 x 128 / 255) = 127.75 and 255 x 0.25 = 63.75.
  CHECK(pixel(plain, 50, 120) == std::array<std::uint8_t, 3>{128, 128, 128});
  CHECK(pixel(plain, 120, 120) == std::array<std::uint8_t, 3>{128, 64, 64});
  // The caption changes only the top left corner, the band it is written in: light letters ringed
  // in dark (cairo's antialiased edges between them, so near white and near black).
  int changed = 0, light = 0, dark = 0, right = 0, bottom = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const auto before = pixel(plain, x, y), after = pixel(captioned, x, y);
      if (before == after) continue;
      ++changed;
      light += *std::min_element(after.begin(), after.end()) >= 192;
      dark += *std::max_element(after.begin(), after.end()) <= 64;
      right = std::max(right, x);
      bottom = std::max(bottom, y);
    }
  }
  CHECK(changed > 300);
  CHECK(light > 50);
  CHECK(dark > 100);
  CHECK(right < width / 2);
  CHECK(bottom < height / 8);
}

}  // namespace ihd::pipeline
