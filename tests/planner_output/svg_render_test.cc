// The chart as a browser shows it: render_svg's output rendered by headless Chromium to a PNG,
// decoded, and checked pixel by pixel: white background, dark title text, each series' colour at
// each of its points and along its line inside the plotted area, each legend swatch beside it.
// Skipped, with the reason, when chromium or zlib is absent. The picture is left in
// build/tests/planner_output_render/ for a person to look at.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "planner/svg_plot.h"
#include "tests/planner_output/png_decode.h"

namespace ptsim {
namespace {

namespace fs = std::filesystem;

// First of the names on PATH that is an executable file, or "".
std::string find_on_path(const std::vector<std::string>& names) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (const auto& name : names) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec) &&
          (fs::status(candidate, ec).permissions() & fs::perms::owner_exec) != fs::perms::none) {
        return candidate.string();
      }
    }
  }
  return "";
}

struct Rgb {
  int r, g, b;
};

// The colours the chart promises: Okabe & Ito (2008) blue, vermillion, bluish green.
const std::vector<Rgb> kSeriesColours = {
    {0x00, 0x72, 0xB2}, {0xD5, 0x5E, 0x00}, {0x00, 0x9E, 0x73}};

// Solid-colour pixels are reproduced exactly by Chromium's rasteriser; the tolerance allows for
// a colour-managed screenshot path rounding by a unit or two.
bool near(const std::array<int, 3>& p, const Rgb& c, int tolerance = 3) {
  return std::abs(p[0] - c.r) <= tolerance && std::abs(p[1] - c.g) <= tolerance &&
         std::abs(p[2] - c.b) <= tolerance;
}

int count_in(const testing::RgbImage& img, int x0, int y0, int x1, int y1, const Rgb& c) {
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(img.height, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(img.width, x1); ++x)
      n += near(img.at(x, y), c);
  }
  return n;
}

PlotSpec three_gpu_types() {
  PlotSpec spec;
  spec.title = "llama3-70b, 15T tokens: time to train";
  spec.x_label = "GPUs";
  spec.y_label = "time to train (days)";
  spec.log_x = true;
  spec.log_y = true;  // log-log: markers of different series stay apart at every GPU count
  // Roughly halving with each doubling of GPUs, the three generations apart by ~2x.
  spec.series = {
      {"a100-80g", {{256, 330}, {512, 168}, {1024, 86}, {2048, 45}, {4096, 24}, {8192, 13.5}}},
      {"h100-sxm", {{256, 120}, {512, 61}, {1024, 31.5}, {2048, 16.4}, {4096, 8.8}, {8192, 4.9}}},
      {"b200", {{256, 52}, {512, 26.5}, {1024, 13.8}, {2048, 7.2}, {4096, 3.9}, {8192, 2.2}}}};
  return spec;
}

TEST(ValidationSvgInBrowser, ChromiumDrawsEverySeriesWhereThePlotSaysOnWhite) {
#ifndef PTSIM_HAVE_ZLIB
  GTEST_SKIP() << "zlib (zlib1g-dev) not found at build time; the PNG check needs it";
#else
  const std::string chromium = find_on_path({"chromium", "chromium-browser"});
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (scripts/setup.sh installs it)";

  const fs::path dir = fs::path(PTSIM_BINARY_DIR) / ".." / "tests" / "planner_output_render";
  fs::create_directories(dir);
  const fs::path svg_path = dir / "three_series.svg", png_path = dir / "three_series.png";
  const fs::path profile = dir / "chromium_profile", log = dir / "chromium.log";
  fs::remove(png_path);
  const PlotSpec spec = three_gpu_types();
  {
    std::ofstream out(svg_path, std::ios::binary);
    out << render_svg(spec);
  }
  // Flags keep headless Chromium from touching the network, the GPU or a shared profile.
  const std::string command =
      "timeout 120 '" + chromium +
      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --hide-scrollbars --user-data-dir='" +
      profile.string() + "' --screenshot='" + png_path.string() +
      "' --window-size=900,560 'file://" + fs::absolute(svg_path).string() + "' > '" +
      log.string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command << "\n(see " << log << ")";

  std::ifstream in(png_path, std::ios::binary);
  ASSERT_TRUE(in) << "chromium wrote no screenshot; see " << log;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  testing::RgbImage img;
  ASSERT_EQ(testing::decode_png(bytes, img), "");
  ASSERT_EQ(img.width, 900);
  ASSERT_EQ(img.height, 560);

  // Background: the corners are white, and most of the picture is.
  const Rgb white{255, 255, 255};
  for (const auto& [x, y] : {std::pair{0, 0}, {899, 0}, {0, 559}, {899, 559}}) {
    EXPECT_TRUE(near(img.at(x, y), white, 0)) << x << "," << y;
  }
  EXPECT_GT(count_in(img, 0, 0, 900, 560, white), 0.7 * 900 * 560);
  // The title is drawn: dark text pixels in the band above the plotted area.
  const PlotFrame f = plot_frame(spec);
  int dark = 0;
  for (int y = 0; y < static_cast<int>(f.top_px); ++y) {
    for (int x = 0; x < 900; ++x) {
      const auto p = img.at(x, y);
      dark += p[0] < 100 && p[1] < 100 && p[2] < 100;
    }
  }
  EXPECT_GT(dark, 100);

  const int left = static_cast<int>(f.left_px) + 2, right = static_cast<int>(f.right_px) - 1;
  const int top = static_cast<int>(f.top_px) + 2, bottom = static_cast<int>(f.bottom_px) - 1;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Rgb c = kSeriesColours[i];
    SCOPED_TRACE(spec.series[i].name);
    // Each marker covers its centre pixel in solid colour (markers are drawn over every line).
    for (const auto& [x, y] : spec.series[i].points) {
      const int px = static_cast<int>(std::floor(f.x_px(x)));
      const int py = static_cast<int>(std::floor(f.y_px(y)));
      EXPECT_TRUE(near(img.at(px, py), c))
          << "point (" << x << ", " << y << ") at " << px << "," << py;
    }
    // The 2-pixel line runs across the plotted area: hundreds of solid pixels, not just markers.
    EXPECT_GT(count_in(img, left, top, right, bottom, c), 400);
    // The legend swatch sits to the right of the plotted area.
    EXPECT_GT(count_in(img, static_cast<int>(f.right_px) + 2, 0, 900, 560, c), 30);
  }
#endif
}

}  // namespace
}  // namespace ptsim
