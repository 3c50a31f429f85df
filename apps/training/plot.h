// Figures for training runs, laid out as Drawings (drawing.h) and written as SVG and PNG: line
// charts with several named series (a metric per epoch, one line per split or learning rate), ROC
// and precision-recall curves, and a confusion-matrix figure. Axes get "nice" ticks (steps of 1,
// 2 or 5 times a power of ten), light grid lines, labels and a legend; series get distinct colours
// in order from a fixed palette.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/training/drawing.h"
#include "apps/training/metrics.h"

namespace ihd::training {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // a NaN breaks the line there
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  // Axis ranges; when absent, the data's range widened to the nearest ticks.
  std::optional<double> x_min, x_max, y_min, y_max;
  bool chance_diagonal = false;  // a dashed grey y = x line, for ROC curves
  bool point_markers = true;     // a dot on each point of series with at most 60 points
};

inline constexpr int kChartWidthPx = 720;
inline constexpr int kChartHeightPx = 450;

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

// A 2 x 2 confusion matrix laid out as scikit-learn prints it: rows are the actual class
// (negative, positive), columns the predicted one; each cell shows its count and its share of
// the row, shaded by count.
Drawing draw_confusion_matrix(const ConfusionCounts& counts, const std::string& title,
                              const std::array<std::string, 2>& class_names = {"no bleed",
                                                                               "bleed"});

// Writes <path_stem>.svg and <path_stem>.png, each atomically.
void write_figure(const Drawing& drawing, const std::filesystem::path& path_stem);

}  // namespace ihd::training
