// Chart layout; see plot.h. Every chart is: title on top, plot box with grid and ticks, axis
// labels, legend at the right, series clipped to nothing (ranges always cover the data unless the
// caller fixes them). Points closer than half a pixel to the previous kept point are dropped, so
// curves over many thousand samples stay small in SVG.
#include "apps/training/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "apps/training/bitmap_font.h"
#include "apps/training/raster.h"
#include "apps/training/svg.h"
#include "common/atomic_file.h"

namespace ihd::training {
namespace {

constexpr Color kInk{30, 30, 30};
constexpr Color kAxis{110, 110, 110};
constexpr Color kGrid{225, 225, 225};
constexpr Color kChance{150, 150, 150};
constexpr int kTextScale = 2;
constexpr int kTitleScale = 3;
constexpr std::size_t kMaxPointsWithMarkers = 60;

constexpr Color kPalette[] = {{0, 92, 175},   {214, 87, 0},   {0, 150, 90},  {200, 30, 60},
                              {120, 70, 180}, {140, 100, 40}, {230, 0, 160}, {90, 90, 90}};

struct Range {
  double low = 0;
  double high = 1;
};

struct Ticks {
  Range range;
  std::vector<double> values;
  int decimals = 0;
};

// Ticks at multiples of 1, 2 or 5 times a power of ten, about five across the range. When the
// range is not fixed it widens to the outer ticks.
Ticks make_ticks(Range data, bool fixed) {
  if (!(data.high > data.low)) {
    const double pad = data.low == 0 ? 0.5 : std::abs(data.low) * 0.1;
    data = {data.low - pad, data.high + pad};
  }
  const double raw_step = (data.high - data.low) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double normalized = raw_step / magnitude;
  const double step = magnitude * (normalized < 1.5 ? 1
                                   : normalized < 3 ? 2
                                   : normalized < 7 ? 5
                                                    : 10);
  Ticks ticks;
  ticks.range = fixed ? data
                      : Range{std::floor(data.low / step + 1e-9) * step,
                              std::ceil(data.high / step - 1e-9) * step};
  for (double v = std::ceil(ticks.range.low / step - 1e-9) * step;
       v <= ticks.range.high + step * 1e-9; v += step) {
    ticks.values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  ticks.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return ticks;
}

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

Range data_range(const std::vector<Series>& series, bool x_axis) {
  Range range{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const Series& s : series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      const double v = x_axis ? s.x[i] : s.y[i];
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      range.low = std::min(range.low, v);
      range.high = std::max(range.high, v);
    }
  }
  if (!std::isfinite(range.low)) return {0, 1};
  return range;
}

Ticks axis_ticks(const std::vector<Series>& series, bool x_axis, std::optional<double> low,
                 std::optional<double> high) {
  const Range data = data_range(series, x_axis);
  return make_ticks({low.value_or(data.low), high.value_or(data.high)},
                    low.has_value() && high.has_value());
}

TextShape text(Point anchor, std::string content, int scale, TextAlign align, Color color = kInk) {
  return TextShape{anchor, std::move(content), color, scale, align, false};
}

}  // namespace

Color series_color(std::size_t index) {
  return kPalette[index % std::size(kPalette)];
}

Drawing draw_line_chart(const LineChart& chart, int width_px, int height_px) {
  Drawing drawing;
  drawing.width = width_px;
  drawing.height = height_px;
  auto& shapes = drawing.shapes;

  std::size_t longest_name = 0;
  for (const Series& s : chart.series) longest_name = std::max(longest_name, s.name.size());
  const double legend_width =
      chart.series.empty() ? 0
                           : 44 + text_width_font_px(std::string(longest_name, 'x')) * kTextScale;
  const double left = 92;
  const double right = width_px - 24 - legend_width;
  const double top = 56;
  const double bottom = height_px - 62;

  const Ticks x_ticks = axis_ticks(chart.series, true, chart.x_min, chart.x_max);
  const Ticks y_ticks = axis_ticks(chart.series, false, chart.y_min, chart.y_max);
  const auto to_px = [&](double x, double y) {
    const Range& xr = x_ticks.range;
    const Range& yr = y_ticks.range;
    return Point{left + (x - xr.low) / (xr.high - xr.low) * (right - left),
                 bottom - (y - yr.low) / (yr.high - yr.low) * (bottom - top)};
  };

  shapes.push_back(text({width_px / 2.0, 34}, chart.title, kTitleScale, TextAlign::kMiddle));
  for (double v : x_ticks.values) {
    const double x = to_px(v, y_ticks.range.low).x;
    shapes.push_back(PolylineShape{{{x, top}, {x, bottom}}, kGrid, 1, false});
    shapes.push_back(PolylineShape{{{x, bottom}, {x, bottom + 5}}, kAxis, 1, false});
    shapes.push_back(
        text({x, bottom + 24}, format_fixed(v, x_ticks.decimals), kTextScale, TextAlign::kMiddle));
  }
  for (double v : y_ticks.values) {
    const double y = to_px(x_ticks.range.low, v).y;
    shapes.push_back(PolylineShape{{{left, y}, {right, y}}, kGrid, 1, false});
    shapes.push_back(PolylineShape{{{left - 5, y}, {left, y}}, kAxis, 1, false});
    shapes.push_back(text({left - 9, y + kGlyphCapHeight * kTextScale / 2.0},
                          format_fixed(v, y_ticks.decimals), kTextScale, TextAlign::kEnd));
  }
  shapes.push_back(PolylineShape{
      {{left, top}, {right, top}, {right, bottom}, {left, bottom}, {left, top}}, kAxis, 1, false});
  shapes.push_back(
      text({(left + right) / 2, height_px - 12.0}, chart.x_label, kTextScale, TextAlign::kMiddle));
  TextShape y_label = text({26, (top + bottom) / 2}, chart.y_label, kTextScale, TextAlign::kMiddle);
  y_label.vertical = true;
  shapes.push_back(y_label);

  if (chart.chance_diagonal) {
    const double low = std::max(x_ticks.range.low, y_ticks.range.low);
    const double high = std::min(x_ticks.range.high, y_ticks.range.high);
    shapes.push_back(PolylineShape{{to_px(low, low), to_px(high, high)}, kChance, 1.5, true});
  }

  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const Series& series = chart.series[s];
    const Color color = series_color(s);
    const std::size_t count = std::min(series.x.size(), series.y.size());
    const bool markers = chart.point_markers && count <= kMaxPointsWithMarkers;
    PolylineShape run{{}, color, 2.5, false};
    const auto flush = [&] {
      if (run.points.size() > 1) shapes.push_back(run);
      run.points.clear();
    };
    for (std::size_t i = 0; i < count; ++i) {
      if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) {
        flush();
        continue;
      }
      const Point p = to_px(series.x[i], series.y[i]);
      const bool last = i + 1 == count;
      const bool near_previous = !run.points.empty() && std::hypot(p.x - run.points.back().x,
                                                                   p.y - run.points.back().y) < 0.5;
      if (!near_previous || last) run.points.push_back(p);
      if (markers) shapes.push_back(CircleShape{p, 3.5, color});
    }
    flush();

    const double legend_x = right + 16;
    const double legend_y = top + 14 + 24.0 * static_cast<double>(s);
    shapes.push_back(
        PolylineShape{{{legend_x, legend_y - 6}, {legend_x + 20, legend_y - 6}}, color, 3, false});
    shapes.push_back(text({legend_x + 28, legend_y}, series.name, kTextScale, TextAlign::kStart));
  }
  return drawing;
}

LineChart roc_chart(const std::string& title,
                    const std::vector<std::pair<std::string, RocCurve>>& curves) {
  LineChart chart;
  chart.title = title;
  chart.x_label = "false-positive rate (1 - specificity)";
  chart.y_label = "sensitivity (recall)";
  chart.x_min = chart.y_min = 0;
  chart.x_max = chart.y_max = 1;
  chart.chance_diagonal = true;
  chart.point_markers = false;
  for (const auto& [name, curve] : curves) {
    double area = 0;
    for (std::size_t i = 1; i < curve.false_positive_rate.size(); ++i) {
      area += (curve.false_positive_rate[i] - curve.false_positive_rate[i - 1]) *
              (curve.true_positive_rate[i] + curve.true_positive_rate[i - 1]) / 2;
    }
    chart.series.push_back({name + " (AUC " + format_fixed(area, 3) + ")",
                            curve.false_positive_rate, curve.true_positive_rate});
  }
  return chart;
}

LineChart precision_recall_chart(
    const std::string& title,
    const std::vector<std::pair<std::string, PrecisionRecallCurve>>& curves) {
  LineChart chart;
  chart.title = title;
  chart.x_label = "recall (sensitivity)";
  chart.y_label = "precision";
  chart.x_min = chart.y_min = 0;
  chart.x_max = chart.y_max = 1;
  chart.point_markers = false;
  for (const auto& [name, curve] : curves) {
    double average_precision = 0;
    for (std::size_t i = 0; i + 1 < curve.recall.size(); ++i) {
      average_precision += (curve.recall[i] - curve.recall[i + 1]) * curve.precision[i];
    }
    chart.series.push_back(
        {name + " (AP " + format_fixed(average_precision, 3) + ")", curve.recall, curve.precision});
  }
  return chart;
}

Drawing draw_confusion_matrix(const ConfusionCounts& counts, const std::string& title,
                              const std::array<std::string, 2>& class_names) {
  Drawing drawing;
  drawing.width = 560;
  drawing.height = 460;
  auto& shapes = drawing.shapes;
  const std::int64_t cells[2][2] = {{counts.true_negative, counts.false_positive},
                                    {counts.false_negative, counts.true_positive}};
  const std::int64_t largest =
      std::max({cells[0][0], cells[0][1], cells[1][0], cells[1][1], std::int64_t{1}});
  constexpr double kCell = 150;
  constexpr double kLeft = 230;
  constexpr double kTop = 120;
  constexpr Color kFull{0, 70, 150};

  shapes.push_back(text({drawing.width / 2.0, 34}, title, kTitleScale, TextAlign::kMiddle));
  shapes.push_back(
      text({kLeft + kCell, kTop - 40}, "predicted", kTextScale, TextAlign::kMiddle, kAxis));
  TextShape actual =
      text({kLeft - 150, kTop + kCell}, "actual", kTextScale, TextAlign::kMiddle, kAxis);
  actual.vertical = true;
  shapes.push_back(actual);
  for (int i = 0; i < 2; ++i) {
    shapes.push_back(text({kLeft + kCell * (i + 0.5), kTop - 12}, class_names[i], kTextScale,
                          TextAlign::kMiddle));
    shapes.push_back(text({kLeft - 12, kTop + kCell * (i + 0.5) + 7}, class_names[i], kTextScale,
                          TextAlign::kEnd));
  }
  for (int row = 0; row < 2; ++row) {
    const std::int64_t row_total = cells[row][0] + cells[row][1];
    for (int column = 0; column < 2; ++column) {
      const double shade = static_cast<double>(cells[row][column]) / static_cast<double>(largest);
      const auto mix = [&](std::uint8_t full) {
        return static_cast<std::uint8_t>(std::lround(255 + shade * (full - 255)));
      };
      const Color fill{mix(kFull.red), mix(kFull.green), mix(kFull.blue)};
      const Color ink = shade > 0.5 ? Color{255, 255, 255} : kInk;
      const double x = kLeft + kCell * column;
      const double y = kTop + kCell * row;
      shapes.push_back(RectShape{x, y, kCell, kCell, fill});
      shapes.push_back(text({x + kCell / 2, y + kCell / 2}, std::to_string(cells[row][column]), 4,
                            TextAlign::kMiddle, ink));
      const double share = row_total == 0 ? 0
                                          : 100.0 * static_cast<double>(cells[row][column]) /
                                                static_cast<double>(row_total);
      shapes.push_back(text({x + kCell / 2, y + kCell / 2 + 32}, format_fixed(share, 1) + "%",
                            kTextScale, TextAlign::kMiddle, ink));
    }
  }
  shapes.push_back(PolylineShape{{{kLeft, kTop},
                                  {kLeft + 2 * kCell, kTop},
                                  {kLeft + 2 * kCell, kTop + 2 * kCell},
                                  {kLeft, kTop + 2 * kCell},
                                  {kLeft, kTop}},
                                 kAxis,
                                 1,
                                 false});
  return drawing;
}

void write_figure(const Drawing& drawing, const std::filesystem::path& path_stem) {
  std::filesystem::path svg_path = path_stem;
  svg_path += ".svg";
  std::filesystem::path png_path = path_stem;
  png_path += ".png";
  write_file_atomically(svg_path, to_svg(drawing));
  write_file_atomically(png_path, encode_png(rasterize(drawing)));
}

}  // namespace ihd::training
