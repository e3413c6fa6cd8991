// A small, dependency-free SVG line-chart writer for what-if studies (time to train against GPUs,
// one line per GPU type or per bandwidth). The output is a standalone SVG 1.1 document that a
// browser opens directly: title, axes with "nice" ticks and SI-suffixed labels, gridlines, one
// polyline with markers per series, and a legend to the right of the plotted area.
//
// What it leaves out: interactivity, multiple y axes, error bars, automatic label rotation. Text
// widths are estimated (0.6 em per character) because no font metrics are available here.
// Axis ticks come from plot_ticks.h. Validated by tests/planner_output/svg_plot_test.cc
// (well-formed XML, byte determinism, legend, notes, edge cases) and svg_render_test.cc (rendered
// by headless Chromium, pixels checked).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "planner/plot_ticks.h"

namespace ptsim {

struct PlotSeries {
  std::string name;
  // (x, y) in the caller's units. Drawn in increasing x (a stable sort), so the order given does
  // not matter. Non-finite values (and magnitudes beyond 1e150), and non-positive values on a log
  // axis (below 1e-150), are skipped with a note.
  std::vector<std::pair<double, double>> points;
};

struct PlotSpec {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<PlotSeries> series;
  int width = 900, height = 560;  // pixels; at least 400 x 300
};

// The whole document. Same spec, same bytes: coordinates are printed with two decimals.
std::string render_svg(const PlotSpec& spec);

// Where things land, public so that tests (and callers that want to annotate a chart) can see
// exactly where render_svg puts them.
// Where render_svg draws the plotted area (pixels, y down) and which axes it uses.
struct PlotFrame {
  double left_px = 0, top_px = 0, right_px = 0, bottom_px = 0;
  AxisTicks x, y;
  double x_px(double x) const;  // data x to pixel column (log axes map log(x) linearly)
  double y_px(double y) const;  // data y to pixel row
};
PlotFrame plot_frame(const PlotSpec& spec);

// Colour of series i: the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal
// Design") without its yellow, which is unreadable on white. Past seven series the colours repeat
// with a dash pattern, and marker shapes cycle independently, so every series stays distinct.
std::string series_colour(std::size_t index);
inline constexpr std::size_t kPaletteSize = 7;

}  // namespace ptsim
