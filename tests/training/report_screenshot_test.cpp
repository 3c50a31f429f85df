// The pages in a real browser: headless Chromium renders a training report and an evaluation
// page to a screenshot, and the screenshot shows the figures (the second series colour, which
// only the charts use, covers many pixels), so the embedded images decoded and drew. Skipped,
// with a message, where Chromium is not installed (scripts/install-deps.sh chromium). ctest
// label "browser" (`ctest -LE browser` leaves it out).
#include <doctest/doctest.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "apps/training/eval_report.h"
#include "apps/training/plot.h"
#include "apps/training/report.h"
#include "training/report_fixture.h"

namespace ihd::training {
namespace {

constexpr int kWindowWidthPx = 1280;
constexpr int kWindowHeightPx = 5000;  // tall enough for the whole page

// Renders page into screenshot; false when Chromium is not there.
bool screenshot(const std::filesystem::path& page, const std::filesystem::path& screenshot) {
  const std::string chromium = IHD_CHROMIUM_BINARY;
  if (chromium.empty() || !std::filesystem::exists(chromium)) return false;
  const std::filesystem::path profile = page.parent_path() / "chromium-profile";
  const std::string command =
      "timeout 120 " + chromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --user-data-dir=" + profile.string() + " --window-size=" + std::to_string(kWindowWidthPx) +
      "," + std::to_string(kWindowHeightPx) + " --screenshot=" + screenshot.string() + " file://" +
      page.string() + " > " + (page.parent_path() / "chromium.log").string() + " 2>&1";
  CHECK(std::system(command.c_str()) == 0);
  return true;
}

// Pixels of the screenshot within a small distance of colour.
long pixels_of_color(const std::filesystem::path& png, Color color) {
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &width, &height, &channels, 3);
  REQUIRE(pixels != nullptr);
  CHECK(width == kWindowWidthPx);
  long count = 0;
  for (long i = 0; i < static_cast<long>(width) * height; ++i) {
    const unsigned char* p = pixels + i * 3;
    count += std::abs(p[0] - color.red) + std::abs(p[1] - color.green) +
                 std::abs(p[2] - color.blue) <
             30;
  }
  stbi_image_free(pixels);
  return count;
}

void check_page_in_browser(const std::filesystem::path& page, std::size_t figures) {
  CHECK(count_of(read_text(page), "<img src=\"data:image/svg+xml;base64,") == figures);
  const std::filesystem::path png = page.parent_path() / "screenshot.png";
  if (!screenshot(page, png)) {
    MESSAGE("skipped: no Chromium at '" IHD_CHROMIUM_BINARY "' (scripts/install-deps.sh chromium)");
    return;
  }
  REQUIRE(std::filesystem::exists(png));
  CHECK(std::filesystem::file_size(png) > 100'000);
  // Each chart draws its second series in this colour; a page without its images has none.
  CHECK(pixels_of_color(png, series_color(1)) > static_cast<long>(200 * figures / 2));
}

}  // namespace

TEST_CASE("browser: the training report loads in Chromium with every figure drawn") {
  const std::filesystem::path dir = fresh_dir("ihd_report_browser_training");
  RunReport report;
  report.config = {{"arch", "resnet18"}};
  report.history = history_for(1e-3, 6);
  std::vector<double> scores;
  std::vector<int> labels;
  epoch_scores(6, scores, labels);
  report.best_curves = best_epoch_curves("validation", scores, labels, 0.95);
  check_page_in_browser(write_run_report(dir, report), 4 + per_epoch_plot_metrics().size());
  std::filesystem::remove_all(dir);
}

TEST_CASE("browser: the evaluation page loads in Chromium with every figure drawn") {
  const std::filesystem::path dir = fresh_dir("ihd_report_browser_eval");
  std::vector<double> scores;
  std::vector<int> labels;
  epoch_scores(3, scores, labels);
  EvalReport report;
  report.levels = {evaluate_level("slices", scores, labels, 0.4, 0.95, 50),
                   evaluate_level("more slices", scores, labels, 0.6, 0.95, 50)};
  check_page_in_browser(write_eval_report(dir, report), 4);
  std::filesystem::remove_all(dir);
}

}  // namespace ihd::training
