// Figures: the rasterizer draws what a shape says (line pixels, glyph pixels), charts place series
// where their data says, SVG carries the text, and PNGs decode (stb_image) to the right size.
#include <doctest/doctest.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "apps/training/bitmap_font.h"
#include "apps/training/plot.h"
#include "apps/training/raster.h"
#include "apps/training/svg.h"

namespace ihd::training {
namespace {

bool same_color(Color a, Color b, int tolerance = 0) {
  return std::abs(a.red - b.red) <= tolerance && std::abs(a.green - b.green) <= tolerance &&
         std::abs(a.blue - b.blue) <= tolerance;
}

constexpr Color kWhite{255, 255, 255};

LineChart two_series_chart() {
  LineChart chart;
  chart.title = "Recall per epoch";
  chart.x_label = "epoch";
  chart.y_label = "recall";
  chart.series.push_back({"train", {1, 2, 3, 4, 5}, {0.5, 0.6, 0.7, 0.75, 0.8}});
  chart.series.push_back({"validation", {1, 2, 3, 4, 5}, {0.4, 0.5, 0.55, 0.6, 0.62}});
  return chart;
}

}  // namespace

TEST_CASE("a polyline covers the pixels on it and nothing far from it") {
  Drawing drawing{100, 40, kWhite, {}};
  drawing.shapes.push_back(PolylineShape{{{10, 20}, {90, 20}}, {200, 0, 0}, 3, false});
  const RgbImage image = rasterize(drawing);
  CHECK(same_color(image.at(50, 19), {200, 0, 0}));
  CHECK(same_color(image.at(50, 30), kWhite));
  CHECK(same_color(image.at(5, 19), kWhite));
}

TEST_CASE("dashed lines leave gaps") {
  Drawing drawing{100, 20, kWhite, {}};
  drawing.shapes.push_back(PolylineShape{{{0, 10}, {100, 10}}, {0, 0, 0}, 2, true});
  const RgbImage image = rasterize(drawing);
  CHECK(same_color(image.at(2, 9), {0, 0, 0}));   // inside the first dash [0, 6)
  CHECK(same_color(image.at(8, 9), kWhite));      // inside the first gap [6, 10)
  CHECK(same_color(image.at(12, 9), {0, 0, 0}));  // the second dash [10, 16)
}

TEST_CASE("text draws exactly the glyph's pixels") {
  Drawing drawing{20, 20, kWhite, {}};
  drawing.shapes.push_back(TextShape{{2, 12}, "Ag", {0, 0, 0}, 1, TextAlign::kStart, false});
  const RgbImage image = rasterize(drawing);
  for (int c = 0; c < 2; ++c) {
    const GlyphRows& glyph = glyph_for("Ag"[c]);
    for (int row = 0; row < kGlyphRows; ++row) {
      for (int column = 0; column < kGlyphWidth; ++column) {
        const int x = 2 + c * kGlyphAdvance + column;
        const int y = 12 - kGlyphCapHeight + row;
        CHECK(same_color(image.at(x, y),
                         glyph_pixel_lit(glyph, row, column) ? Color{0, 0, 0} : kWhite));
      }
    }
  }
}

TEST_CASE("every glyph used in figure text is designed, and unknown characters show a box") {
  const std::string alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,-+:/()[]<>%=_#*?!|'\"";
  const GlyphRows& missing = glyph_for('\x01');
  for (char c : alphabet) {
    CAPTURE(c);
    CHECK(&glyph_for(c) != &missing);
  }
  CHECK(glyph_pixel_lit(missing, 0, 0));
}

TEST_CASE("a line chart puts each series where its data says, in its own colour") {
  LineChart chart = two_series_chart();
  chart.y_min = 0;
  chart.y_max = 1;
  const Drawing drawing = draw_line_chart(chart);
  std::vector<const PolylineShape*> lines;
  for (const Shape& shape : drawing.shapes) {
    const auto* line = std::get_if<PolylineShape>(&shape);
    if (line &&
        (same_color(line->color, series_color(0)) || same_color(line->color, series_color(1))) &&
        line->points.size() == 5) {
      lines.push_back(line);
    }
  }
  REQUIRE(lines.size() == 2);
  const PolylineShape& train = *lines[0];
  const PolylineShape& validation = *lines[1];
  CHECK(same_color(train.color, series_color(0)));
  CHECK(same_color(validation.color, series_color(1)));
  // Same x for the same epoch; higher recall is higher up (smaller y); y linear in the value.
  for (int i = 0; i < 5; ++i) CHECK(train.points[i].x == doctest::Approx(validation.points[i].x));
  CHECK(train.points[0].y < validation.points[0].y);
  const double per_unit = (train.points[0].y - train.points[4].y) / (0.8 - 0.5);
  CHECK(validation.points[0].y - validation.points[4].y == doctest::Approx(per_unit * 0.22));

  const RgbImage image = rasterize(drawing);
  const Point middle{(train.points[1].x + train.points[2].x) / 2,
                     (train.points[1].y + train.points[2].y) / 2};
  CHECK(same_color(image.at(static_cast<int>(middle.x), static_cast<int>(middle.y)),
                   series_color(0), 40));
}

TEST_CASE("SVG carries the title, axis labels, legend names and one polyline per series") {
  const std::string svg = to_svg(draw_line_chart(two_series_chart()));
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"450\"", 0) ==
        0);
  for (const char* text :
       {">Recall per epoch<", ">epoch<", ">recall<", ">train<", ">validation<"}) {
    CAPTURE(text);
    CHECK(svg.find(text) != std::string::npos);
  }
  CHECK(svg.find("stroke=\"#005caf\"") != std::string::npos);
  CHECK(svg.find("transform=\"rotate(-90") != std::string::npos);
  CHECK(escape_xml("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
  CHECK(escape_xml("caf\xE9 \xC3\xA9") == "caf\xC3\xA9 \xC3\xA9");  // Latin-1 and UTF-8 'é'
  const std::string replacement =
      "\xEF\xBF\xBD";  // U+FFFD, for a control character XML cannot hold
  CHECK(escape_xml("a\x01 b\tc\n") == "a" + replacement + " b\tc\n");
}

TEST_CASE("ROC and PR charts name their areas, the confusion matrix shows its counts") {
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
  const std::vector<int> labels = {1, 1, 0, 1, 0, 1, 0, 0};
  const LineChart roc = roc_chart("ROC", {{"validation", roc_curve(scores, labels)}});
  REQUIRE(roc.series.size() == 1);
  CHECK(roc.series[0].name == "validation (AUC 0.812)");  // 13 of 16 pairs ordered right
  const LineChart pr =
      precision_recall_chart("PR", {{"validation", precision_recall_curve(scores, labels)}});
  char expected[64];
  std::snprintf(expected, sizeof expected, "validation (AP %.3f)",
                average_precision(scores, labels));
  CHECK(pr.series[0].name == expected);

  const std::string svg = to_svg(draw_confusion_matrix({220, 200, 100, 80}, "Test set"));
  for (const char* text : {">220<", ">200<", ">100<", ">80<", ">predicted<", ">actual<", ">bleed<",
                           ">no bleed<", ">Test set<", ">73.3%<"}) {
    CAPTURE(text);
    CHECK(svg.find(text) != std::string::npos);
  }
}

TEST_CASE("write_figure writes an SVG and a PNG that decodes to the drawing's size") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "ihd_training_plot_test";
  std::filesystem::create_directories(dir);
  const Drawing drawing = draw_line_chart(two_series_chart());
  write_figure(drawing, dir / "recall");
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load((dir / "recall.png").c_str(), &width, &height, &channels, 3);
  REQUIRE(pixels != nullptr);
  CHECK(width == 720);
  CHECK(height == 450);
  const RgbImage expected = rasterize(drawing);
  CHECK(std::equal(expected.pixels.begin(), expected.pixels.end(), pixels));
  stbi_image_free(pixels);
  CHECK(std::filesystem::file_size(dir / "recall.svg") > 1000);
  std::filesystem::remove_all(dir);
}

}  // namespace ihd::training
