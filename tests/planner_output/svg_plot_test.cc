// SVG line charts: well-formed and deterministic documents, legend, notes for data a log axis
// cannot show, the edge cases (no data, one point, equal values), and where the axes land.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "planner/svg_plot.h"
#include "tests/planner_output/xml_check.h"

namespace ptsim {
namespace {

int count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

PlotSpec gpu_sweep() {
  PlotSpec spec;
  spec.title = "llama3-70b, 15T tokens";
  spec.x_label = "GPUs";
  spec.y_label = "time to train (days)";
  spec.log_x = true;
  spec.series = {{"h100-sxm", {{512, 80}, {1024, 41}, {2048, 21.5}, {4096, 11.2}}},
                 {"b200", {{512, 35}, {1024, 18}, {2048, 9.4}, {4096, 5.1}}}};
  return spec;
}

TEST(UnitSvgFrame, AxisEndsMapToThePlotAreaEdges) {
  const PlotFrame f = plot_frame(gpu_sweep());
  EXPECT_EQ(f.x.values.front(), 512);
  EXPECT_EQ(f.x.values.back(), 4096);
  EXPECT_DOUBLE_EQ(f.x_px(512), f.left_px);
  EXPECT_DOUBLE_EQ(f.x_px(4096), f.right_px);
  // Log x: 1024 and 2048 split [512, 4096] into thirds.
  EXPECT_NEAR(f.x_px(1024), f.left_px + (f.right_px - f.left_px) / 3, 1e-9);
  EXPECT_NEAR(f.x_px(2048), f.left_px + 2 * (f.right_px - f.left_px) / 3, 1e-9);
  EXPECT_DOUBLE_EQ(f.y_px(f.y.lo), f.bottom_px);
  EXPECT_DOUBLE_EQ(f.y_px(f.y.hi), f.top_px);
  EXPECT_LT(f.left_px, f.right_px);
  EXPECT_LT(f.top_px, f.bottom_px);
  EXPECT_LE(f.right_px, 900);
  EXPECT_LE(f.bottom_px, 560);
}

TEST(UnitSvgFrame, OnlyPowerOfTwoDataGetBinaryTicks) {
  // GPU-hours are whole numbers but not GPU counts: a binary "1M" (2^20) tick would sit above the
  // point at 1e6, so they get decimal ticks; the power-of-two x values get binary ones.
  PlotSpec spec{"t",  "GPUs", "GPU-hours",
                true, true,   {{"s", {{8, 1000000}, {16, 1100000}, {64, 1300000}}}}};
  const PlotFrame f = plot_frame(spec);
  EXPECT_EQ(f.y.values.front(), 1e6);
  EXPECT_EQ(f.y.labels.front(), "1M");
  EXPECT_EQ(f.x.values, (std::vector<double>{8, 16, 32, 64}));
  spec.series[0].points.push_back({768, 1500000});  // 96 nodes of 8: not a power of two
  EXPECT_EQ(plot_frame(spec).x.values, (std::vector<double>{5, 10, 20, 50, 100, 200, 500, 1000}));
}

TEST(UnitSvgDocument, IsWellFormedStandaloneSvg) {
  const std::string svg = render_svg(gpu_sweep());
  const testing::XmlReport xml = testing::check_xml(svg);
  ASSERT_EQ(xml.error, "") << svg;
  EXPECT_EQ(
      svg.rfind(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"",
          0),
      0u);
  EXPECT_EQ(xml.elements.at("svg"), 1);
  EXPECT_EQ(xml.classes.at("series-line"), 2);
  EXPECT_EQ(xml.classes.at("series-markers"), 2);
  EXPECT_EQ(xml.classes.at("plot-area"), 1);
  EXPECT_EQ(xml.classes.count("note"), 0u);
  EXPECT_EQ(xml.classes.count("no-data"), 0u);
  // Two series of four points: 4 circles (series 0) and 4 squares (series 1), plus one each in the
  // legend.
  EXPECT_EQ(xml.elements.at("circle"), 5);
  EXPECT_EQ(xml.elements.at("rect"), 5 + 2);  // + background + plot-area frame
  EXPECT_NE(svg.find(">llama3-70b, 15T tokens</text>"), std::string::npos);
  EXPECT_NE(svg.find(">GPUs</text>"), std::string::npos);
  EXPECT_NE(svg.find(">time to train (days)</text>"), std::string::npos);
  for (const char* tick : {">512</text>", ">1k</text>", ">2k</text>", ">4k</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
}

TEST(UnitSvgDocument, SameSpecGivesSameBytes) {
  const std::string a = render_svg(gpu_sweep());
  const std::string b = render_svg(gpu_sweep());
  EXPECT_EQ(a, b);
  // Points are drawn in increasing x, so the caller's order does not matter.
  PlotSpec shuffled = gpu_sweep();
  std::swap(shuffled.series[0].points[0], shuffled.series[0].points[3]);
  std::swap(shuffled.series[1].points[1], shuffled.series[1].points[2]);
  EXPECT_EQ(render_svg(shuffled), a);
}

TEST(UnitSvgDocument, LegendHasOneEntryPerSeriesInPaletteColours) {
  PlotSpec spec = gpu_sweep();
  for (int i = 0; i < 7; ++i) {
    spec.series.push_back({"bw " + std::to_string(100 * (i + 1)) + " Gb/s", {{512, 50.0 + i}}});
  }
  const std::string svg = render_svg(spec);
  const testing::XmlReport xml = testing::check_xml(svg);
  ASSERT_EQ(xml.error, "");
  EXPECT_EQ(xml.classes.at("legend-entry"), 9);
  EXPECT_NE(svg.find(">h100-sxm</text>"), std::string::npos);
  EXPECT_NE(svg.find(">bw 700 Gb/s</text>"), std::string::npos);
  // Okabe & Ito (2008) without yellow; the eighth series reuses blue with a dash pattern.
  const std::vector<std::string> okabe_ito = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                              "#E69F00", "#56B4E9", "#000000"};
  for (std::size_t i = 0; i < okabe_ito.size(); ++i) {
    EXPECT_EQ(series_colour(i), okabe_ito[i]);
    EXPECT_NE(svg.find("fill=\"" + okabe_ito[i] + "\""), std::string::npos);
  }
  EXPECT_EQ(series_colour(7), "#0072B2");
  EXPECT_EQ(count(svg, "stroke-dasharray=\"7 4\""), 2);  // series 7 and 8 legend swatches
}

TEST(UnitSvgDocument, TextIsEscapedForXml) {
  PlotSpec spec = gpu_sweep();
  spec.title = "<b>\"TP&PP\"</b> 'x'";
  spec.series[0].name = "a<b & c>d";
  spec.x_label = std::string(
      "bad\x01"
      "byte \xff end");
  const std::string svg = render_svg(spec);
  ASSERT_EQ(testing::check_xml(svg).error, "");
  EXPECT_NE(svg.find("&lt;b&gt;&quot;TP&amp;PP&quot;&lt;/b&gt; &apos;x&apos;"), std::string::npos);
  EXPECT_NE(svg.find(">a&lt;b &amp; c&gt;d</text>"), std::string::npos);
  EXPECT_NE(svg.find(">bad\xEF\xBF\xBD"
                     "byte \xEF\xBF\xBD end</text>"),
            std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
}

TEST(UnitSvgDocument, NonPositiveValuesOnALogAxisAreSkippedWithANote) {
  PlotSpec spec = gpu_sweep();
  spec.log_y = true;
  spec.series[0].points.push_back({8192, 0});
  spec.series[1].points.push_back({8192, -3});
  spec.series[1].points.push_back({0, 7});  // x = 0 on the log x axis
  spec.series[1].points.push_back({64, NAN});
  const std::string svg = render_svg(spec);
  const testing::XmlReport xml = testing::check_xml(svg);
  ASSERT_EQ(xml.error, "");
  EXPECT_EQ(xml.classes.at("note"), 1);
  EXPECT_NE(
      svg.find("note: 1 point with x &lt;= 0 not shown (log x axis); 2 points with y &lt;= 0 "
               "not shown (log y axis); 1 point with a non-finite or out-of-range value not shown"),
      std::string::npos);
  // The skipped points do not widen the axes: still 512 .. 4096 on x.
  const PlotFrame f = plot_frame(spec);
  EXPECT_EQ(f.x.lo, 512);
  EXPECT_EQ(f.x.hi, 4096);
  EXPECT_GT(f.y.lo, 0);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(UnitSvgDocument, ExtremeMagnitudesAreSkippedNotFatal) {
  // Beyond 1e150 tick arithmetic would overflow; such points are reported, not drawn.
  PlotSpec spec{"extremes", "x",   "y",
                false,      false, {{"s", {{1e200, 1}, {1, -1e300}, {1, 2}, {2, 3}}}}};
  spec.width = 400;
  spec.height = 300;
  const std::string svg = render_svg(spec);
  ASSERT_EQ(testing::check_xml(svg).error, "");
  EXPECT_NE(svg.find("note: 2 points with a non-finite or out-of-range value not shown"),
            std::string::npos);
  EXPECT_EQ(plot_frame(spec).y.hi, 3);
  spec.log_y = true;
  spec.series[0].points = {{1, 1e-200}, {2, 3}, {3, 4}};
  EXPECT_NE(render_svg(spec).find("note: 1 point with y &lt;= 0 not shown (log y axis)"),
            std::string::npos);
}

TEST(UnitSvgDocument, NoDataDrawsAxesAndSaysSo) {
  PlotSpec spec;
  spec.title = "empty study";
  for (const PlotSpec& s : {spec, PlotSpec{"t", "x", "y", true, true, {{"h100", {}}}}}) {
    const std::string svg = render_svg(s);
    const testing::XmlReport xml = testing::check_xml(svg);
    ASSERT_EQ(xml.error, "") << svg;
    EXPECT_EQ(xml.classes.at("no-data"), 1);
    EXPECT_EQ(xml.classes.at("x-ticks"), 1);
    EXPECT_EQ(xml.classes.at("y-ticks"), 1);
    EXPECT_EQ(xml.classes.count("series-line"), 0u);
  }
  const std::string one_empty = render_svg(PlotSpec{"t", "x", "y", true, true, {{"h100", {}}}});
  EXPECT_NE(one_empty.find(">h100 (no data)</text>"), std::string::npos);
}

TEST(UnitSvgDocument, OnePointAndEqualValuesStayFinite) {
  for (const PlotSpec& spec :
       {PlotSpec{"one", "x", "y", false, false, {{"s", {{3, 7}}}}},
        PlotSpec{"one log", "x", "y", true, true, {{"s", {{1024, 2.5}}}}},
        PlotSpec{"flat", "x", "y", false, false, {{"s", {{1, 5}, {2, 5}, {3, 5}}}}},
        PlotSpec{"flat zero", "x", "y", false, false, {{"s", {{1, 0}, {2, 0}}}}}}) {
    const std::string svg = render_svg(spec);
    ASSERT_EQ(testing::check_xml(svg).error, "") << spec.title;
    EXPECT_EQ(svg.find("nan"), std::string::npos) << spec.title;
    EXPECT_EQ(svg.find("inf"), std::string::npos) << spec.title;
    const PlotFrame f = plot_frame(spec);
    for (const auto& [x, y] : spec.series[0].points) {
      // Every point lies strictly inside the widened axes, never on the frame.
      EXPECT_GT(f.x_px(x), f.left_px - 1e-9) << spec.title;
      EXPECT_LT(f.x_px(x), f.right_px + 1e-9) << spec.title;
      EXPECT_GT(f.y_px(y), f.top_px) << spec.title;
      EXPECT_LT(f.y_px(y), f.bottom_px) << spec.title;
    }
  }
}

TEST(UnitSvgDocument, LongLegendNamesAreCutWithTheFullNameAsATooltip) {
  PlotSpec spec = gpu_sweep();
  spec.series[0].name = std::string(200, 'n');
  const std::string svg = render_svg(spec);
  ASSERT_EQ(testing::check_xml(svg).error, "");
  EXPECT_NE(svg.find("\xE2\x80\xA6<title>" + std::string(200, 'n') + "</title>"),
            std::string::npos);
  // The legend takes at most 30% of the width, so the plot keeps the rest.
  const PlotFrame f = plot_frame(spec);
  EXPECT_GT(f.right_px - f.left_px, 0.5 * 900);
}

}  // namespace
}  // namespace ptsim
