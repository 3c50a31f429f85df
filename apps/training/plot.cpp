// Chart layout; see plot.h. Every line chart is: title on top, plot box with grid and ticks, axis
// labels, legend at the right; ranges always cover the data unless the caller fixes them. Margins
// come from measured text: the y label sits beyond the widest y tick label, the x label below the
// x tick labels. Points closer than half a pixel to the previous kept point are dropped, so
// curves over many thousand samples stay small in SVG.
#include "apps/training/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/atomic_file.h"

namespace ihd::training {
namespace {

constexpr Color kInk{30, 30, 30};
constexpr Color kAxis{110, 110, 110};
constexpr Color kGrid{225, 225, 225};
constexpr Color kChance{150, 150, 150};
constexpr Color kWhite{255, 255, 255};
constexpr Color kLabelBackground{255, 255, 255};

constexpr double kMarginPx = 14;
constexpr double kTitleSizePx = 17;
constexpr double kAxisLabelSizePx = 14;
constexpr double kTickLabelSizePx = 12.5;
constexpr double kLegendSizePx = 13;
constexpr double kMarkerLabelSizePx = 12;
constexpr double kTickLengthPx = 5;
constexpr double kGapPx = 8;
constexpr double kLegendLinePx = 22;
constexpr double kLegendRowPx = 22;
constexpr std::size_t kMaxPointsWithDots = 60;

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
// range is not fixed it widens to the outer ticks; a range of one value widens around it and is
// then fixed. An integer axis has whole-number ticks and spans half a unit more on each side.
Ticks make_ticks(Range data, bool fixed, bool integer) {
  if (integer && !fixed) {
    data = {data.low - 0.5, data.high + 0.5};
    fixed = true;
  }
  if (!(data.high > data.low)) {
    const double pad = data.low == 0 ? 0.5 : std::abs(data.low) * 0.1;
    data = {data.low - pad, data.high + pad};
    fixed = true;
  }
  const double raw_step = (data.high - data.low) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double normalized = raw_step / magnitude;
  double step = magnitude * (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10);
  if (integer) step = std::max(1.0, std::round(step));
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

Range data_range(const LineChart& chart, bool x_axis) {
  Range range{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  const auto take = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    range.low = std::min(range.low, x_axis ? x : y);
    range.high = std::max(range.high, x_axis ? x : y);
  };
  for (const Series& s : chart.series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) take(s.x[i], s.y[i]);
  }
  for (const MarkedPoint& p : chart.marked_points) take(p.x, p.y);
  if (!std::isfinite(range.low)) return {0, 1};
  return range;
}

Ticks axis_ticks(const LineChart& chart, bool x_axis) {
  const Range data = data_range(chart, x_axis);
  const std::optional<double> low = x_axis ? chart.x_min : chart.y_min;
  const std::optional<double> high = x_axis ? chart.x_max : chart.y_max;
  return make_ticks({low.value_or(data.low), high.value_or(data.high)},
                    low.has_value() && high.has_value(), x_axis && chart.integer_x_ticks);
}

TextShape text(Point anchor, std::string content, double size_px, TextAlign align,
               Color color = kInk, bool bold = false) {
  TextShape shape;
  shape.anchor = anchor;
  shape.text = std::move(content);
  shape.color = color;
  shape.font_size_px = size_px;
  shape.bold = bold;
  shape.align = align;
  return shape;
}

// The font's ascent and descent at a size, from a box measured on the baseline at y = 0.
struct LineMetrics {
  double ascent = 0;
  double descent = 0;
  double height() const { return ascent + descent; }
};
LineMetrics line_metrics(double size_px, bool bold = false) {
  const Box box = text_box(text({0, 0}, "Hg", size_px, TextAlign::kStart, kInk, bold));
  return {-box.top, box.bottom};
}

double text_width(const TextShape& shape) {
  const Box box = text_box(shape);
  return shape.vertical ? box.bottom - box.top : box.right - box.left;
}

// A label with a white box behind it, so it stays readable over grid lines and curves; moved
// sideways to lie between left and right, then down, a line at a time, while it would cover a
// label placed before.
void push_label(std::vector<Shape>& shapes, TextShape label, std::vector<Box>& placed, double left,
                double right) {
  Box box = text_box(label);
  const double shift = box.left < left ? left - box.left : std::min(0.0, right - box.right);
  label.anchor.x += shift;
  box.left += shift;
  box.right += shift;
  const auto covers = [&](const Box& b) {
    return std::any_of(placed.begin(), placed.end(), [&](const Box& p) { return p.overlaps(b); });
  };
  while (covers(box)) {
    const double step = box.bottom - box.top + 2;
    label.anchor.y += step;
    box.top += step;
    box.bottom += step;
  }
  placed.push_back(box);
  shapes.push_back(RectShape{box.left - 2, box.top - 1, box.right - box.left + 4,
                             box.bottom - box.top + 2, kLabelBackground});
  shapes.push_back(label);
}

}  // namespace

Color series_color(std::size_t index) {
  return kPalette[index % std::size(kPalette)];
}

ChartLayout line_chart_layout(const LineChart& chart, int width_px, int height_px) {
  ChartLayout layout;
  const Ticks x_ticks = axis_ticks(chart, true);
  const Ticks y_ticks = axis_ticks(chart, false);
  layout.x_low = x_ticks.range.low;
  layout.x_high = x_ticks.range.high;
  layout.y_low = y_ticks.range.low;
  layout.y_high = y_ticks.range.high;
  layout.x_ticks = x_ticks.values;
  layout.y_ticks = y_ticks.values;

  const LineMetrics title_line = line_metrics(kTitleSizePx, true);
  const LineMetrics axis_line = line_metrics(kAxisLabelSizePx);
  const LineMetrics tick_line = line_metrics(kTickLabelSizePx);
  const LineMetrics legend_line = line_metrics(kLegendSizePx);

  double widest_y_tick = 0;
  for (double v : y_ticks.values) {
    layout.y_tick_labels.push_back(
        text({0, 0}, format_fixed(v, y_ticks.decimals), kTickLabelSizePx, TextAlign::kEnd));
    widest_y_tick = std::max(widest_y_tick, text_width(layout.y_tick_labels.back()));
  }
  double widest_legend = 0;
  for (const Series& s : chart.series) {
    layout.legend.push_back(text({0, 0}, s.name, kLegendSizePx, TextAlign::kStart));
    widest_legend = std::max(widest_legend, text_width(layout.legend.back()));
  }
  const double legend_width =
      chart.series.empty() ? 0 : kGapPx * 2 + kLegendLinePx + kGapPx + widest_legend;

  Box& area = layout.plot_area;
  area.left = std::round(kMarginPx + axis_line.height() + kGapPx * 1.5 + widest_y_tick + kGapPx);
  area.right = std::round(width_px - kMarginPx - legend_width);
  area.top = std::round(kMarginPx + title_line.height() + kGapPx * 2);
  area.bottom = std::round(height_px - kMarginPx - axis_line.height() - kGapPx -
                           tick_line.height() - kTickLengthPx - kGapPx / 2);

  layout.title = text({width_px / 2.0, kMarginPx + title_line.ascent}, chart.title, kTitleSizePx,
                      TextAlign::kMiddle, kInk, true);
  const double x_tick_baseline = area.bottom + kTickLengthPx + kGapPx / 2 + tick_line.ascent;
  for (double v : x_ticks.values) {
    layout.x_tick_labels.push_back(text({layout.to_px(v, 0).x, x_tick_baseline},
                                        format_fixed(v, x_ticks.decimals), kTickLabelSizePx,
                                        TextAlign::kMiddle));
  }
  for (std::size_t i = 0; i < y_ticks.values.size(); ++i) {
    // Digits centred on the tick: their height is about 0.73 of the font size.
    layout.y_tick_labels[i].anchor = {
        area.left - kTickLengthPx - kGapPx / 2,
        layout.to_px(0, y_ticks.values[i]).y + 0.365 * kTickLabelSizePx};
  }
  layout.x_label = text({(area.left + area.right) / 2,
                         x_tick_baseline + tick_line.descent + kGapPx + axis_line.ascent},
                        chart.x_label, kAxisLabelSizePx, TextAlign::kMiddle);
  layout.y_label = text({kMarginPx + axis_line.ascent, (area.top + area.bottom) / 2}, chart.y_label,
                        kAxisLabelSizePx, TextAlign::kMiddle);
  layout.y_label.vertical = true;
  for (std::size_t s = 0; s < layout.legend.size(); ++s) {
    layout.legend[s].anchor = {
        area.right + kGapPx * 2 + kLegendLinePx + kGapPx,
        area.top + legend_line.ascent + kLegendRowPx * static_cast<double>(s)};
  }
  return layout;
}

Drawing draw_line_chart(const LineChart& chart, int width_px, int height_px) {
  const ChartLayout layout = line_chart_layout(chart, width_px, height_px);
  const Box& area = layout.plot_area;
  Drawing drawing;
  drawing.width = width_px;
  drawing.height = height_px;
  auto& shapes = drawing.shapes;

  const auto to_px = [&](double x, double y) { return layout.to_px(x, y); };

  shapes.push_back(layout.title);
  for (std::size_t i = 0; i < layout.x_ticks.size(); ++i) {
    const double x = std::round(to_px(layout.x_ticks[i], 0).x) + 0.5;
    shapes.push_back(PolylineShape{{{x, area.top}, {x, area.bottom}}, kGrid, 1, false});
    shapes.push_back(
        PolylineShape{{{x, area.bottom}, {x, area.bottom + kTickLengthPx}}, kAxis, 1, false});
    shapes.push_back(layout.x_tick_labels[i]);
  }
  for (std::size_t i = 0; i < layout.y_ticks.size(); ++i) {
    const double y = std::round(to_px(0, layout.y_ticks[i]).y) + 0.5;
    shapes.push_back(PolylineShape{{{area.left, y}, {area.right, y}}, kGrid, 1, false});
    shapes.push_back(
        PolylineShape{{{area.left - kTickLengthPx, y}, {area.left, y}}, kAxis, 1, false});
    shapes.push_back(layout.y_tick_labels[i]);
  }
  const double l = area.left + 0.5, r = area.right + 0.5, t = area.top + 0.5, b = area.bottom + 0.5;
  shapes.push_back(PolylineShape{{{l, t}, {r, t}, {r, b}, {l, b}, {l, t}}, kAxis, 1, false});
  shapes.push_back(layout.x_label);
  shapes.push_back(layout.y_label);

  if (chart.chance_diagonal) {
    const double low = std::max(layout.x_low, layout.y_low);
    const double high = std::min(layout.x_high, layout.y_high);
    shapes.push_back(PolylineShape{{to_px(low, low), to_px(high, high)}, kChance, 1.5, true});
  }
  if (chart.x_marker) {
    const double x = to_px(chart.x_marker->x, 0).x;
    shapes.push_back(PolylineShape{{{x, area.top}, {x, area.bottom}}, kAxis, 1.5, true});
  }

  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const Series& series = chart.series[s];
    const Color color = series_color(s);
    const std::size_t count = std::min(series.x.size(), series.y.size());
    const bool dots = chart.dots_on_points && count <= kMaxPointsWithDots;
    PolylineShape run{{}, color, 2.5, false};
    std::vector<Shape> point_shapes;
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
      if (chart.x_marker && series.x[i] == chart.x_marker->x) {
        point_shapes.push_back(CircleShape{p, 6.5, kWhite, 2, color});
      }
      if (dots) point_shapes.push_back(CircleShape{p, 3.5, color, 0, color});
    }
    flush();
    shapes.insert(shapes.end(), point_shapes.begin(), point_shapes.end());

    const TextShape& name = layout.legend[s];
    const double line_y = name.anchor.y - 0.35 * kLegendSizePx;
    shapes.push_back(PolylineShape{
        {{name.anchor.x - kGapPx - kLegendLinePx, line_y}, {name.anchor.x - kGapPx, line_y}},
        color,
        3,
        false});
    shapes.push_back(name);
  }

  const double middle = (area.left + area.right) / 2;
  std::vector<Box> labels;
  if (chart.x_marker && !chart.x_marker->label.empty()) {
    const double x = to_px(chart.x_marker->x, 0).x;
    const bool left_half = x < middle;
    // Above the frame, between it and the title: the label covers no data.
    push_label(shapes,
               text({x + (left_half ? -4 : 4), area.top - 5}, chart.x_marker->label,
                    kMarkerLabelSizePx, left_half ? TextAlign::kStart : TextAlign::kEnd, kAxis),
               labels, kGapPx, width_px - kGapPx);
  }
  for (const MarkedPoint& marked : chart.marked_points) {
    const Point p = to_px(marked.x, marked.y);
    shapes.push_back(CircleShape{p, 5.5, kWhite, 2.5, kInk});
    const bool left_half = p.x < middle;
    push_label(shapes,
               text({p.x + (left_half ? 9 : -9), p.y + 9 + kMarkerLabelSizePx}, marked.label,
                    kMarkerLabelSizePx, left_half ? TextAlign::kStart : TextAlign::kEnd),
               labels, area.left + 3, area.right - 3);
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
  chart.dots_on_points = false;
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
  chart.dots_on_points = false;
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

void mark_operating_point_on_roc(LineChart& roc, const ThresholdMetrics& at) {
  roc.marked_points.push_back(
      {1 - at.specificity, at.recall, "threshold " + format_fixed(at.threshold, 3)});
}

void mark_operating_point_on_precision_recall(LineChart& precision_recall,
                                              const ThresholdMetrics& at) {
  precision_recall.marked_points.push_back(
      {at.recall, at.precision, "threshold " + format_fixed(at.threshold, 3)});
}

Drawing draw_confusion_matrix(const ConfusionCounts& counts, const std::string& title,
                              const std::array<std::string, 2>& class_names) {
  constexpr double kCellPx = 140;
  constexpr double kCountSizePx = 30;
  constexpr Color kFull{0, 70, 150};
  const LineMetrics title_line = line_metrics(kTitleSizePx, true);
  const LineMetrics axis_line = line_metrics(kAxisLabelSizePx);

  double widest_class = 0;
  for (const std::string& name : class_names) {
    widest_class =
        std::max(widest_class, text_width(text({0, 0}, name, kAxisLabelSizePx, TextAlign::kEnd)));
  }
  const double left =
      std::round(kMarginPx + axis_line.height() + kGapPx * 2 + widest_class + kGapPx * 1.5);
  const double top = std::round(kMarginPx + title_line.height() + kGapPx * 2 +
                                axis_line.height() * 2 + kGapPx * 2);
  const TextShape title_text =
      text({0, kMarginPx + title_line.ascent}, title, kTitleSizePx, TextAlign::kMiddle, kInk, true);
  Drawing drawing;
  drawing.width = static_cast<int>(std::ceil(
      std::max(left + 2 * kCellPx + kMarginPx * 2, text_width(title_text) + 4 * kMarginPx)));
  drawing.height = static_cast<int>(top + 2 * kCellPx + kMarginPx * 2);
  auto& shapes = drawing.shapes;
  const std::int64_t cells[2][2] = {{counts.true_negative, counts.false_positive},
                                    {counts.false_negative, counts.true_positive}};
  const std::int64_t largest =
      std::max({cells[0][0], cells[0][1], cells[1][0], cells[1][1], std::int64_t{1}});

  shapes.push_back(title_text);
  std::get<TextShape>(shapes.back()).anchor.x = drawing.width / 2.0;
  const double column_names_baseline = top - kGapPx - axis_line.descent;
  shapes.push_back(text({left + kCellPx, column_names_baseline - axis_line.height() - kGapPx / 2},
                        "predicted", kAxisLabelSizePx, TextAlign::kMiddle, kAxis));
  TextShape actual = text({kMarginPx + axis_line.ascent, top + kCellPx}, "actual", kAxisLabelSizePx,
                          TextAlign::kMiddle, kAxis);
  actual.vertical = true;
  shapes.push_back(actual);
  for (int i = 0; i < 2; ++i) {
    shapes.push_back(text({left + kCellPx * (i + 0.5), column_names_baseline}, class_names[i],
                          kAxisLabelSizePx, TextAlign::kMiddle));
    shapes.push_back(
        text({left - kGapPx * 1.5, top + kCellPx * (i + 0.5) + 0.365 * kAxisLabelSizePx},
             class_names[i], kAxisLabelSizePx, TextAlign::kEnd));
  }
  for (int row = 0; row < 2; ++row) {
    const std::int64_t row_total = cells[row][0] + cells[row][1];
    for (int column = 0; column < 2; ++column) {
      const double shade = static_cast<double>(cells[row][column]) / static_cast<double>(largest);
      const auto mix = [&](std::uint8_t full) {
        return static_cast<std::uint8_t>(std::lround(255 + shade * (full - 255)));
      };
      const Color fill{mix(kFull.red), mix(kFull.green), mix(kFull.blue)};
      const Color ink = shade > 0.5 ? kWhite : kInk;
      const double x = left + kCellPx * column;
      const double y = top + kCellPx * row;
      shapes.push_back(RectShape{x, y, kCellPx, kCellPx, fill});
      shapes.push_back(text({x + kCellPx / 2, y + kCellPx / 2 + 4},
                            std::to_string(cells[row][column]), kCountSizePx, TextAlign::kMiddle,
                            ink, true));
      const double share = row_total == 0 ? 0
                                          : 100.0 * static_cast<double>(cells[row][column]) /
                                                static_cast<double>(row_total);
      shapes.push_back(text({x + kCellPx / 2, y + kCellPx / 2 + 30}, format_fixed(share, 1) + "%",
                            kAxisLabelSizePx, TextAlign::kMiddle, ink));
    }
  }
  const double r = left + 2 * kCellPx, b = top + 2 * kCellPx;
  shapes.push_back(
      PolylineShape{{{left, top}, {r, top}, {r, b}, {left, b}, {left, top}}, kAxis, 1, false});
  return drawing;
}

std::string write_figure(const Drawing& drawing, const std::filesystem::path& path_stem) {
  std::filesystem::path svg_path = path_stem;
  svg_path += ".svg";
  std::filesystem::path png_path = path_stem;
  png_path += ".png";
  std::string svg = render_svg(drawing);
  write_file_atomically(svg_path, svg);
  write_file_atomically(png_path, render_png(drawing));
  return svg;
}

}  // namespace ihd::training
