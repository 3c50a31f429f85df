// Figures: charts place series where their data says; epoch axes tick at whole epochs; no text of
// a chart or a confusion matrix overlaps another and the axis labels clear the tick labels
// (checked on the layout's numbers, measured in the font cairo draws with); cairo's PNG shows the
// shapes where they are (decoded independently, by stb_image); its SVG is well-formed, has the
// drawing's size and names every label (escaped) in its <desc>.
#include <doctest/doctest.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "apps/training/cairo_figure.h"
#include "apps/training/epoch_charts.h"
#include "apps/training/html_page.h"
#include "apps/training/plot.h"

namespace ihd::training {
namespace {

bool same_color(Color a, Color b, int tolerance = 0) {
  return std::abs(a.red - b.red) <= tolerance && std::abs(a.green - b.green) <= tolerance &&
         std::abs(a.blue - b.blue) <= tolerance;
}

LineChart two_series_chart() {
  LineChart chart;
  chart.title = "Recall per epoch";
  chart.x_label = "epoch";
  chart.y_label = "recall";
  chart.series.push_back({"train", {1, 2, 3, 4, 5}, {0.5, 0.6, 0.7, 0.75, 0.8}});
  chart.series.push_back({"validation", {1, 2, 3, 4, 5}, {0.4, 0.5, 0.55, 0.6, 0.62}});
  return chart;
}

std::vector<EpochRecord> records(int epochs, double loss_scale) {
  std::vector<EpochRecord> history;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    EpochRecord r;
    r.epoch = epoch;
    r.split = "validation";
    r.loss = loss_scale / epoch;
    r.metrics.roc_auc = 0.5 + 0.4 * epoch / epochs;
    history.push_back(r);
  }
  return history;
}

// Whether xml's elements nest properly: every start tag closed in order, one root element.
// (Enough for what cairo writes: no CDATA, no comments; declarations are skipped.)
bool well_formed(const std::string& xml) {
  std::vector<std::string> open;
  int roots = 0;
  for (std::size_t at = xml.find('<'); at != std::string::npos; at = xml.find('<', at + 1)) {
    const std::size_t end = xml.find('>', at);
    if (end == std::string::npos) return false;
    const std::string tag = xml.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    const std::string name =
        tag.substr(tag[0] == '/', tag.find_first_of(" \t\n/", 1) - (tag[0] == '/'));
    if (tag[0] == '/') {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    } else if (tag.back() != '/') {
      roots += open.empty();
      open.push_back(name);
    } else {
      roots += open.empty();
    }
  }
  return open.empty() && roots == 1;
}

// Every text of a line chart, with its role for messages.
std::vector<std::pair<std::string, TextShape>> texts_of(const ChartLayout& layout) {
  std::vector<std::pair<std::string, TextShape>> texts = {
      {"title", layout.title}, {"x label", layout.x_label}, {"y label", layout.y_label}};
  for (const TextShape& t : layout.x_tick_labels) texts.emplace_back("x tick", t);
  for (const TextShape& t : layout.y_tick_labels) texts.emplace_back("y tick", t);
  for (const TextShape& t : layout.legend) texts.emplace_back("legend", t);
  return texts;
}

std::vector<const TextShape*> texts_of(const Drawing& drawing) {
  std::vector<const TextShape*> texts;
  for (const Shape& shape : drawing.shapes) {
    if (const auto* text = std::get_if<TextShape>(&shape)) texts.push_back(text);
  }
  return texts;
}

std::vector<std::string> tick_label_texts(const std::vector<TextShape>& labels) {
  std::vector<std::string> out;
  for (const TextShape& t : labels) out.push_back(t.text);
  return out;
}

}  // namespace

TEST_CASE("text is measured in the drawing font: longer text is wider, vertical text is tall") {
  const TextShape short_text{{100, 100}, "epoch", {}, 14, false, TextAlign::kStart, false};
  TextShape long_text = short_text;
  long_text.text = "epoch epoch epoch";
  const Box a = text_box(short_text);
  const Box b = text_box(long_text);
  CHECK(a.left == doctest::Approx(100));
  CHECK(b.right - b.left > 2.5 * (a.right - a.left));
  CHECK(a.top < 100);  // ascent above the baseline
  CHECK(a.bottom > 100);
  TextShape vertical = long_text;
  vertical.vertical = true;
  const Box v = text_box(vertical);
  CHECK(v.bottom - v.top == doctest::Approx(b.right - b.left));
  CHECK(v.bottom == doctest::Approx(100));  // reads upwards from the anchor
  TextShape centred = short_text;
  centred.align = TextAlign::kMiddle;
  CHECK((text_box(centred).left + text_box(centred).right) / 2 == doctest::Approx(100));
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
  const ChartLayout layout = line_chart_layout(chart);
  CHECK(train.points[0].x == doctest::Approx(layout.to_px(1, 0.5).x));
  CHECK(train.points[0].y == doctest::Approx(layout.to_px(1, 0.5).y));
}

TEST_CASE("epoch charts tick at whole epochs, use readable names and mark the selected epoch") {
  for (const int epochs : {1, 2, 6, 13, 40, 250}) {
    CAPTURE(epochs);
    const LineChart chart = epoch_chart("roc_auc", {{"validation", records(epochs, 1)}}, epochs);
    CHECK(chart.title == "ROC AUC per epoch");
    CHECK(chart.y_label == "ROC AUC");
    const ChartLayout layout = line_chart_layout(chart);
    REQUIRE(!layout.x_ticks.empty());
    for (const double tick : layout.x_ticks) {
      CHECK(tick == std::round(tick));
      CHECK(tick >= 1);
      CHECK(tick <= epochs);
    }
    for (const TextShape& label : layout.x_tick_labels) {
      CHECK(label.text.find('.') == std::string::npos);
    }
    // The first and last epochs stay inside the frame, clear of its sides.
    CHECK(layout.to_px(1, 0).x > layout.plot_area.left);
    CHECK(layout.to_px(epochs, 0).x < layout.plot_area.right);
    REQUIRE(chart.x_marker);
    CHECK(chart.x_marker->x == epochs);
    CHECK(chart.x_marker->label == "selected: epoch " + std::to_string(epochs));
    // Its label sits between the title and the frame, inside the figure, covering no data.
    const Drawing drawing = draw_line_chart(chart);
    int marker_labels = 0;
    for (const Shape& shape : drawing.shapes) {
      const auto* text = std::get_if<TextShape>(&shape);
      if (text == nullptr || text->text != chart.x_marker->label) continue;
      ++marker_labels;
      const Box box = text_box(*text);
      CHECK(box.bottom <= layout.plot_area.top);
      CHECK(!box.overlaps(text_box(layout.title)));
      CHECK(box.left >= 0);
      CHECK(box.right <= drawing.width);
    }
    CHECK(marker_labels == 1);
  }
  const LineChart two = epoch_chart("recall", {{"train", records(2, 1)}}, std::nullopt);
  CHECK(tick_label_texts(line_chart_layout(two).x_tick_labels) ==
        std::vector<std::string>{"1", "2"});
  CHECK(two.title == "Recall (sensitivity) at threshold 0.5 per epoch");
  CHECK(!two.x_marker);
  CHECK(epoch_metric("subdural_roc_auc").title == "subdural ROC AUC");
  CHECK(epoch_metric("rsna_weighted_log_loss").title == "RSNA weighted log loss");
}

TEST_CASE("no two texts of a chart overlap, and the axis labels clear the tick labels") {
  LineChart wide_values = epoch_chart("loss", {{"train", records(30, 123456.0)}}, 3);
  wide_values.y_label = "a long y label: the training objective, mean per image";
  LineChart roc = roc_chart(
      "ROC curve", {{"validation with a long name",
                     roc_curve(std::vector<double>{0.9, 0.2, 0.6}, std::vector<int>{1, 0, 1})},
                    {"test", roc_curve(std::vector<double>{0.3, 0.8}, std::vector<int>{0, 1})}});
  for (const LineChart& chart : {two_series_chart(), wide_values, roc}) {
    CAPTURE(chart.title);
    const ChartLayout layout = line_chart_layout(chart);
    const auto texts = texts_of(layout);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const Box a = text_box(texts[i].second);
      CAPTURE(texts[i].first);
      CAPTURE(texts[i].second.text);
      CHECK(a.left >= 0);
      CHECK(a.top >= 0);
      CHECK(a.right <= kChartWidthPx);
      CHECK(a.bottom <= kChartHeightPx);
      for (std::size_t j = i + 1; j < texts.size(); ++j) {
        CAPTURE(texts[j].first);
        CAPTURE(texts[j].second.text);
        CHECK(!a.overlaps(text_box(texts[j].second)));
      }
    }
    const Box y_label = text_box(layout.y_label);
    const Box x_label = text_box(layout.x_label);
    for (const TextShape& tick : layout.y_tick_labels) {
      CHECK(y_label.right < text_box(tick).left);
      CHECK(text_box(tick).right < layout.plot_area.left);
    }
    for (const TextShape& tick : layout.x_tick_labels) {
      CHECK(x_label.top > text_box(tick).bottom);
      CHECK(text_box(tick).top > layout.plot_area.bottom);
    }
    for (const TextShape& name : layout.legend) CHECK(text_box(name).left > layout.plot_area.right);
  }
}

TEST_CASE("labels of marked points that would cover each other are stacked") {
  LineChart chart = two_series_chart();
  chart.marked_points = {{3, 0.7, "slices, threshold 0.422"},
                         {3, 0.7, "patients, threshold 0.422"}};
  const Drawing drawing = draw_line_chart(chart);
  std::vector<Box> labels;
  for (const TextShape* text : texts_of(drawing)) {
    if (text->text.find("threshold") != std::string::npos) labels.push_back(text_box(*text));
  }
  REQUIRE(labels.size() == 2);
  CHECK(!labels[0].overlaps(labels[1]));
}

TEST_CASE("labels of marked points stay inside the plot area, clear of the legend") {
  LineChart chart = two_series_chart();
  chart.series[1].name = "studies (sequence stage)";
  chart.marked_points = {{3.2, 0.5, "studies (sequence stage), threshold 0.500"},
                         {2.8, 0.3, "slices (sequence stage), threshold 0.500"}};
  const ChartLayout layout = line_chart_layout(chart);
  const Drawing drawing = draw_line_chart(chart);
  int labels = 0;
  for (const TextShape* text : texts_of(drawing)) {
    if (text->text.find("threshold") == std::string::npos) continue;
    ++labels;
    CAPTURE(text->text);
    const Box box = text_box(*text);
    CHECK(box.left > layout.plot_area.left);
    CHECK(box.right < layout.plot_area.right);
  }
  CHECK(labels == 2);
}

TEST_CASE(
    "ROC and PR charts name their areas and mark operating points, the confusion matrix shows its "
    "counts") {
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
  const std::vector<int> labels = {1, 1, 0, 1, 0, 1, 0, 0};
  LineChart roc = roc_chart("ROC", {{"validation", roc_curve(scores, labels)}});
  REQUIRE(roc.series.size() == 1);
  CHECK(roc.series[0].name == "validation (AUC 0.812)");  // 13 of 16 pairs ordered right
  mark_operating_point_on_roc(roc, metrics_at_threshold(scores, labels, 0.55));
  REQUIRE(roc.marked_points.size() == 1);
  CHECK(roc.marked_points[0].x == doctest::Approx(0.25));  // 1 of 4 negatives above 0.55
  CHECK(roc.marked_points[0].y == doctest::Approx(0.75));
  CHECK(roc.marked_points[0].label == "threshold 0.550");
  const LineChart pr =
      precision_recall_chart("PR", {{"validation", precision_recall_curve(scores, labels)}});
  char expected[64];
  std::snprintf(expected, sizeof expected, "validation (AP %.3f)",
                average_precision(scores, labels));
  CHECK(pr.series[0].name == expected);

  const Drawing matrix = draw_confusion_matrix({220, 200, 100, 80}, "Test set");
  std::vector<std::string> shown;
  const auto texts = texts_of(matrix);
  for (const TextShape* text : texts) shown.push_back(text->text);
  for (const char* text : {"220", "200", "100", "80", "predicted", "actual", "bleed", "no bleed",
                           "Test set", "73.3%"}) {
    CAPTURE(text);
    CHECK(std::find(shown.begin(), shown.end(), text) != shown.end());
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Box box = text_box(*texts[i]);
    CHECK(box.left >= 0);
    CHECK(box.right <= matrix.width);
    for (std::size_t j = i + 1; j < texts.size(); ++j) {
      CAPTURE(texts[i]->text);
      CAPTURE(texts[j]->text);
      CHECK(!box.overlaps(text_box(*texts[j])));
    }
  }
}

TEST_CASE("a chart's SVG is well-formed XML of the chart's size and holds every label") {
  LineChart chart =
      epoch_chart("roc_auc", {{"train", records(4, 1)}, {"a <b> & c", records(4, 2)}}, 2);
  const Drawing drawing = draw_line_chart(chart);
  const std::string svg = render_svg(drawing);
  CHECK(well_formed(svg));
  CHECK_FALSE(well_formed("<svg><g></svg></g>"));
  CHECK(svg.find("width=\"640px\" height=\"400px\"") != std::string::npos);
  for (const std::string label : {"ROC AUC per epoch", "epoch", "ROC AUC", "train",
                                  "a &lt;b&gt; &amp; c", "selected: epoch 2", "1", "4"}) {
    CAPTURE(label);
    CHECK(svg.find("\n" + label + "\n") != std::string::npos);
  }
  CHECK(svg.find("a <b>") == std::string::npos);
}

TEST_CASE("write_figure writes cairo's SVG and a PNG that shows the shapes where they are") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "ihd_training_plot_test";
  std::filesystem::create_directories(dir);
  Drawing drawing{200, 100, {255, 255, 255}, {}};
  drawing.shapes.push_back(PolylineShape{{{10, 50}, {190, 50}}, {200, 0, 0}, 4, false});
  drawing.shapes.push_back(RectShape{150, 70, 30, 20, {0, 0, 255}});
  drawing.shapes.push_back(TextShape{{10, 30}, "Recall", {0, 0, 0}, 20, true, TextAlign::kStart});
  const std::string svg = write_figure(drawing, dir / "shapes");
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("width=\"200px\" height=\"100px\"") != std::string::npos);
  CHECK(svg.find("viewBox=\"0 0 200 100\"") != std::string::npos);

  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load((dir / "shapes.png").c_str(), &width, &height, &channels, 3);
  REQUIRE(pixels != nullptr);
  CHECK(width == 200);
  CHECK(height == 100);
  const auto at = [&](int x, int y) {
    const unsigned char* p = pixels + (y * width + x) * 3;
    return Color{p[0], p[1], p[2]};
  };
  CHECK(same_color(at(100, 50), {200, 0, 0}, 2));   // on the line
  CHECK(same_color(at(100, 60), {255, 255, 255}));  // beside it
  CHECK(same_color(at(165, 80), {0, 0, 255}));      // inside the rectangle
  int ink = 0;                                      // the text's pixels, above its baseline
  for (int y = 10; y < 30; ++y) {
    for (int x = 10; x < 80; ++x) ink += same_color(at(x, y), {0, 0, 0}, 60);
  }
  CHECK(ink > 50);
  stbi_image_free(pixels);
  std::filesystem::remove_all(dir);
}

TEST_CASE("escape_xml escapes markup, repairs encodings and replaces what XML cannot hold") {
  CHECK(escape_xml("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
  CHECK(escape_xml("caf\xE9 \xC3\xA9") == "caf\xC3\xA9 \xC3\xA9");  // Latin-1 and UTF-8 'é'
  const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD, for a control character
  CHECK(escape_xml("a\x01 b\tc\n") == "a" + replacement + " b\tc\n");
}

}  // namespace ihd::training
