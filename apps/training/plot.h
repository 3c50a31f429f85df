// Figures for training runs and evaluations, laid out as Drawings (drawing.h) and rendered by cairo
// (cairo_figure.h) to SVG and PNG: line charts with several named series (a metric per epoch, one
// line per split or learning rate; ROC, precision-recall and reliability curves), and a
// confusion-matrix figure. Axes get "nice" ticks (steps of 1, 2 or 5 times a power of ten; whole
// numbers only for epochs), light grid lines, labels and a legend; series get distinct colours in
// order from a fixed palette. Every text is measured in the font it is drawn in, and the layout
// puts axis labels beyond the widest tick label, so no two texts overlap.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/training/cairo_figure.h"
#include "apps/training/drawing.h"
#include "apps/training/metrics.h"

namespace ihd::training {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // a NaN breaks the line there
};

// A dashed vertical line at x across the plot, labelled just above the frame, under the title (the
// selected epoch); every series' point at exactly x gets a ring.
struct VerticalMarker {
  double x = 0;
  std::string label;
};

// One point picked out and labelled (an operating point on a ROC curve). Labels that would cover
// an earlier one move down until they do not.
struct MarkedPoint {
  double x = 0;
  double y = 0;
  std::string label;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  // Axis ranges; when absent, the data's range widened to the nearest ticks.
  std::optional<double> x_min, x_max, y_min, y_max;
  // Ticks at whole numbers only, and the range half a unit wider than the data on each side
  // (epochs: the first and last points stay clear of the frame).
  bool integer_x_ticks = false;
  bool chance_diagonal = false;  // a dashed grey y = x line, for ROC curves
  bool dots_on_points = true;    // a dot on each point of series with at most 60 points
  std::optional<VerticalMarker> x_marker;
  std::vector<MarkedPoint> marked_points;
};

inline constexpr int kChartWidthPx = 640;
inline constexpr int kChartHeightPx = 400;

// Where a line chart's parts go: the plot area, the tick values and every text of the chart.
struct ChartLayout {
  Box plot_area;
  double x_low = 0, x_high = 1, y_low = 0, y_high = 1;  // the axis ranges the plot area spans
  std::vector<double> x_ticks;
  std::vector<double> y_ticks;
  std::vector<TextShape> x_tick_labels;  // one per x tick, in order
  std::vector<TextShape> y_tick_labels;  // one per y tick, in order
  TextShape title;
  TextShape x_label;
  TextShape y_label;
  std::vector<TextShape> legend;  // one per series, in order

  // Where a data point lands in the plot area.
  Point to_px(double x, double y) const {
    return {plot_area.left + (x - x_low) / (x_high - x_low) * (plot_area.right - plot_area.left),
            plot_area.bottom - (y - y_low) / (y_high - y_low) * (plot_area.bottom - plot_area.top)};
  }
};
ChartLayout line_chart_layout(const LineChart& chart, int width_px = kChartWidthPx,
                              int height_px = kChartHeightPx);

Drawing draw_line_chart(const LineChart& chart, int width_px = kChartWidthPx,
                        int height_px = kChartHeightPx);

// The palette colour of the i-th series (cycling).
Color series_color(std::size_t index);

// ROC curves (false-positive rate against sensitivity), each series named "<name> (AUC x.xxx)",
// on [0, 1] axes with the chance diagonal.
LineChart roc_chart(const std::string& title,
                    const std::vector<std::pair<std::string, RocCurve>>& curves);

// Precision-recall curves (recall against precision), each named "<name> (AP x.xxx)".
LineChart precision_recall_chart(
    const std::string& title,
    const std::vector<std::pair<std::string, PrecisionRecallCurve>>& curves);

// Marks where the operating point `at` (metrics at one threshold) lies on a ROC or a
// precision-recall chart, labelled with its threshold.
void mark_operating_point_on_roc(LineChart& roc, const ThresholdMetrics& at);
void mark_operating_point_on_precision_recall(LineChart& precision_recall,
                                              const ThresholdMetrics& at);

// A 2 x 2 confusion matrix laid out as scikit-learn prints it: rows are the actual class
// (negative, positive), columns the predicted one; each cell shows its count and its share of
// the row, shaded by count.
Drawing draw_confusion_matrix(const ConfusionCounts& counts, const std::string& title,
                              const std::array<std::string, 2>& class_names = {"no bleed",
                                                                               "bleed"});

// Writes <path_stem>.svg and <path_stem>.png, each atomically; returns the SVG document.
std::string write_figure(const Drawing& drawing, const std::filesystem::path& path_stem);

}  // namespace ihd::training
