#include "planner/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "common/check.h"

namespace ptsim {
namespace {

constexpr std::array<const char*, kPaletteSize> kPalette = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
// Dash patterns for the second, third ... pass through the palette.
constexpr std::array<const char*, 4> kDashes = {"", "7 4", "2 3", "9 3 2 3"};
constexpr const char* kTextColour = "#222222";
constexpr const char* kGridColour = "#dddddd";
constexpr const char* kFrameColour = "#444444";
constexpr double kFontPx = 12;
constexpr double kCharPx = 0.6 * kFontPx;  // average advance of a sans-serif glyph, estimated

// Number of UTF-8 code points (continuation bytes do not start a character).
std::size_t char_count(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || (n == 2 && c < 0xC2) || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 3 && ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && b(i + 1) < 0x90) || c > 0xF4 || (c == 0xF4 && b(i + 1) >= 0x90))) {
    return 0;
  }
  return n;
}

// Text as XML character data or attribute value: markup characters escaped, control characters
// and invalid UTF-8 (neither allowed in an XML document) replaced by U+FFFD.
std::string xml_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const std::size_t n = utf8_length(s, i);
    if (n == 0 || (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

// At most max_chars code points, the last replaced by an ellipsis when cut.
std::string truncated(const std::string& s, std::size_t max_chars) {
  if (char_count(s) <= max_chars) return s;
  std::size_t kept = 0, i = 0;
  while (i < s.size() && kept + 1 < max_chars) {
    i += std::max<std::size_t>(1, utf8_length(s, i));
    ++kept;
  }
  return s.substr(0, i) + "\xE2\x80\xA6";
}

// A pixel coordinate: two decimals, trailing zeros dropped, never "-0".
std::string px(double v) {
  double r = std::round(v * 100) / 100;
  if (r == 0) r = 0;
  std::string s = fmt::format("{:.2f}", r);
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The data as drawn: valid points per series in increasing x, the skip counts, the data extent.
struct Cleaned {
  std::vector<std::vector<std::pair<double, double>>> series;
  std::size_t non_finite = 0, non_positive_x = 0, non_positive_y = 0, valid = 0;
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  bool pow2_x = true, pow2_y = true;  // every value a power of two >= 1
};

// Magnitudes a chart can place: beyond them tick arithmetic would overflow or underflow, so such
// values count as non-finite (or, tiny ones on a log axis, as non-positive).
constexpr double kLargest = 1e150, kSmallestOnLog = 1e-150;

Cleaned clean(const PlotSpec& spec) {
  Cleaned c;
  const auto placeable = [](double v) { return std::isfinite(v) && std::fabs(v) <= kLargest; };
  for (const PlotSeries& s : spec.series) {
    auto& kept = c.series.emplace_back();
    for (const auto& [x, y] : s.points) {
      const bool bad_x = spec.log_x && x < kSmallestOnLog;
      const bool bad_y = spec.log_y && y < kSmallestOnLog;
      if (!placeable(x) || !placeable(y)) {
        ++c.non_finite;
      } else if (bad_x || bad_y) {
        c.non_positive_x += bad_x;
        c.non_positive_y += bad_y;
      } else {
        kept.emplace_back(x, y);
        c.x_lo = c.valid == 0 ? x : std::min(c.x_lo, x);
        c.x_hi = c.valid == 0 ? x : std::max(c.x_hi, x);
        c.y_lo = c.valid == 0 ? y : std::min(c.y_lo, y);
        c.y_hi = c.valid == 0 ? y : std::max(c.y_hi, y);
        c.pow2_x = c.pow2_x && x >= 1 && is_power_of_two(x);
        c.pow2_y = c.pow2_y && y >= 1 && is_power_of_two(y);
        ++c.valid;
      }
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return c;
}

std::string plural(std::size_t n, const char* what) {
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

std::vector<std::string> notes_for(const Cleaned& c) {
  std::vector<std::string> notes;
  if (c.non_positive_x > 0) {
    notes.push_back(plural(c.non_positive_x, "point") + " with x <= 0 not shown (log x axis)");
  }
  if (c.non_positive_y > 0) {
    notes.push_back(plural(c.non_positive_y, "point") + " with y <= 0 not shown (log y axis)");
  }
  if (c.non_finite > 0) {
    notes.push_back(plural(c.non_finite, "point") +
                    " with a non-finite or out-of-range value not shown");
  }
  return notes;
}

AxisTicks axis_for(bool log, std::size_t valid, double lo, double hi, bool pow2) {
  if (valid == 0) return log ? log_ticks(1, 10, false) : linear_ticks(0, 1);
  return log ? log_ticks(lo, hi, pow2) : linear_ticks(lo, hi);
}

struct Layout {
  PlotFrame frame;
  Cleaned data;
  std::vector<std::string> notes;
  std::size_t legend_chars = 0;  // legend names are cut to this many characters
};

Layout lay_out(const PlotSpec& spec) {
  PTSIM_CHECK(spec.width >= 400 && spec.height >= 300, "plot must be at least 400 x 300 pixels");
  Layout l;
  l.data = clean(spec);
  l.notes = notes_for(l.data);
  PlotFrame& f = l.frame;
  f.x = axis_for(spec.log_x, l.data.valid, l.data.x_lo, l.data.x_hi, l.data.pow2_x);
  f.y = axis_for(spec.log_y, l.data.valid, l.data.y_lo, l.data.y_hi, l.data.pow2_y);
  std::size_t y_label_chars = 1;
  for (const auto& s : f.y.labels)
    y_label_chars = std::max(y_label_chars, char_count(s));
  // Left: the rotated y label, a gap, the tick labels, the tick marks.
  f.left_px = 28 + y_label_chars * kCharPx + 10;
  f.top_px = spec.title.empty() ? 20 : 48;
  f.bottom_px = spec.height - 52.0 - (l.notes.empty() ? 0 : 18);
  f.right_px = spec.width - 20.0;
  if (!spec.series.empty()) {
    // Right: the legend, a 24-pixel swatch and the names, at most 30% of the width.
    std::size_t name_chars = 1;
    for (const auto& s : spec.series)
      name_chars = std::max(name_chars, char_count(s.name) + 10);
    l.legend_chars = std::min<std::size_t>(name_chars, spec.width * 0.3 / kCharPx);
    f.right_px = spec.width - (16 + 24 + 8 + l.legend_chars * kCharPx + 8);
  }
  PTSIM_CHECK(f.right_px - f.left_px >= 60 && f.bottom_px - f.top_px >= 60,
              "plot too small for its labels");
  return l;
}

// Where v lies along an axis, 0 at lo and 1 at hi (in log space for a log axis).
double axis_fraction(const AxisTicks& axis, double v) {
  return axis.log ? std::log(v / axis.lo) / std::log(axis.hi / axis.lo)
                  : (v - axis.lo) / (axis.hi - axis.lo);
}

// Marker of shape (index % 4) centred on (x, y): circle, square, diamond, triangle. Each covers a
// disc of radius >= 2.8 px around its centre, so the centre pixel is always solid colour.
std::string marker(std::size_t index, double x, double y) {
  switch (index % 4) {
    case 0:
      return fmt::format(R"(<circle cx="{}" cy="{}" r="4"/>)", px(x), px(y));
    case 1:
      return fmt::format(R"(<rect x="{}" y="{}" width="7" height="7"/>)", px(x - 3.5), px(y - 3.5));
    case 2:
      return fmt::format(R"(<polygon points="{},{} {},{} {},{} {},{}"/>)", px(x), px(y - 5),
                         px(x + 5), px(y), px(x), px(y + 5), px(x - 5), px(y));
    default:
      return fmt::format(R"(<polygon points="{},{} {},{} {},{}"/>)", px(x), px(y - 6), px(x + 5.5),
                         px(y + 3.5), px(x - 5.5), px(y + 3.5));
  }
}

std::string dash_attribute(std::size_t index) {
  const char* dash = kDashes[(index / kPaletteSize) % kDashes.size()];
  return *dash ? fmt::format(R"( stroke-dasharray="{}")", dash) : std::string();
}

void append_axes(std::string& out, const PlotSpec& spec, const PlotFrame& f) {
  out += fmt::format(R"(<g class="grid" stroke="{}" stroke-width="1">)"
                     "\n",
                     kGridColour);
  for (double v : f.x.values) {
    out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>)"
                       "\n",
                       px(f.x_px(v)), px(f.top_px), px(f.bottom_px));
  }
  for (double v : f.y.values) {
    out += fmt::format(R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}"/>)"
                       "\n",
                       px(f.y_px(v)), px(f.left_px), px(f.right_px));
  }
  out += "</g>\n";
  out += fmt::format(
      R"(<rect class="plot-area" x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}"/>)"
      "\n",
      px(f.left_px), px(f.top_px), px(f.right_px - f.left_px), px(f.bottom_px - f.top_px),
      kFrameColour);
  out += fmt::format(R"(<g class="x-ticks" text-anchor="middle" fill="{}" stroke="{}">)"
                     "\n",
                     kTextColour, kFrameColour);
  for (std::size_t i = 0; i < f.x.values.size(); ++i) {
    const std::string x = px(f.x_px(f.x.values[i]));
    out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>)", x, px(f.bottom_px),
                       px(f.bottom_px + 5));
    out += fmt::format(R"(<text x="{}" y="{}" stroke="none">{}</text>)"
                       "\n",
                       x, px(f.bottom_px + 19), xml_text(f.x.labels[i]));
  }
  out += "</g>\n";
  out += fmt::format(R"(<g class="y-ticks" text-anchor="end" fill="{}" stroke="{}">)"
                     "\n",
                     kTextColour, kFrameColour);
  for (std::size_t i = 0; i < f.y.values.size(); ++i) {
    const std::string y = px(f.y_px(f.y.values[i]));
    out += fmt::format(R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}"/>)", y, px(f.left_px - 5),
                       px(f.left_px));
    out += fmt::format(R"(<text x="{}" y="{}" stroke="none">{}</text>)"
                       "\n",
                       px(f.left_px - 8), px(f.y_px(f.y.values[i]) + 4), xml_text(f.y.labels[i]));
  }
  out += "</g>\n";
  out += fmt::format(
      R"(<text class="x-label" x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>)"
      "\n",
      px((f.left_px + f.right_px) / 2), px(f.bottom_px + 42), kTextColour, xml_text(spec.x_label));
  const double y_mid = (f.top_px + f.bottom_px) / 2;
  out += fmt::format(
      R"svg(<text class="y-label" x="18" y="{0}" text-anchor="middle" fill="{1}" transform="rotate(-90 18 {0})">{2}</text>)svg"
      "\n",
      px(y_mid), kTextColour, xml_text(spec.y_label));
}

void append_series(std::string& out, const Layout& l) {
  const PlotFrame& f = l.frame;
  for (std::size_t i = 0; i < l.data.series.size(); ++i) {
    const auto& points = l.data.series[i];
    if (points.size() < 2) continue;
    std::string coords;
    for (const auto& [x, y] : points) {
      if (!coords.empty()) coords += ' ';
      coords.append(px(f.x_px(x))).append(",").append(px(f.y_px(y)));
    }
    out += fmt::format(
        R"(<polyline class="series-line" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"{} points="{}"/>)"
        "\n",
        series_colour(i), dash_attribute(i), coords);
  }
  // Markers after every line, so no line hides another series' points.
  for (std::size_t i = 0; i < l.data.series.size(); ++i) {
    if (l.data.series[i].empty()) continue;
    out += fmt::format(R"(<g class="series-markers" fill="{}">)", series_colour(i));
    for (const auto& [x, y] : l.data.series[i])
      out += marker(i, f.x_px(x), f.y_px(y));
    out += "</g>\n";
  }
}

void append_legend(std::string& out, const PlotSpec& spec, const Layout& l) {
  if (spec.series.empty()) return;
  const double x0 = l.frame.right_px + 16;
  out += fmt::format(R"(<g class="legend" fill="{}">)"
                     "\n",
                     kTextColour);
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const double y = l.frame.top_px + 10 + 20.0 * i;
    const std::string name = spec.series[i].name + (l.data.series[i].empty() ? " (no data)" : "");
    const std::string shown = truncated(name, l.legend_chars);
    out += fmt::format(R"(<g class="legend-entry">)");
    out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"{}/>)",
                       px(x0), px(y), px(x0 + 24), px(y), series_colour(i), dash_attribute(i));
    out += fmt::format(R"(<g fill="{}">{}</g>)", series_colour(i), marker(i, x0 + 12, y));
    out +=
        fmt::format(R"(<text x="{}" y="{}">{}{}</text>)", px(x0 + 32), px(y + 4), xml_text(shown),
                    shown == name ? "" : "<title>" + xml_text(name) + "</title>");
    out += "</g>\n";
  }
  out += "</g>\n";
}

}  // namespace

double PlotFrame::x_px(double x_value) const {
  return left_px + axis_fraction(x, x_value) * (right_px - left_px);
}

double PlotFrame::y_px(double y_value) const {
  return bottom_px - axis_fraction(y, y_value) * (bottom_px - top_px);
}

PlotFrame plot_frame(const PlotSpec& spec) {
  return lay_out(spec).frame;
}

std::string render_svg(const PlotSpec& spec) {
  const Layout l = lay_out(spec);
  const PlotFrame& f = l.frame;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{2}">)"
      "\n",
      spec.width, spec.height, kFontPx);
  out += fmt::format("<title>{}</title>\n", xml_text(spec.title));
  out += R"(<rect class="background" width="100%" height="100%" fill="#ffffff"/>)"
         "\n";
  if (!spec.title.empty()) {
    out += fmt::format(
        R"(<text class="title" x="{}" y="28" text-anchor="middle" font-size="16" font-weight="bold" fill="{}">{}</text>)"
        "\n",
        px(spec.width / 2.0), kTextColour, xml_text(spec.title));
  }
  append_axes(out, spec, f);
  append_series(out, l);
  if (l.data.valid == 0) {
    out += fmt::format(
        R"(<text class="no-data" x="{}" y="{}" text-anchor="middle" font-size="16" fill="#777777">no data</text>)"
        "\n",
        px((f.left_px + f.right_px) / 2), px((f.top_px + f.bottom_px) / 2));
  }
  append_legend(out, spec, l);
  if (!l.notes.empty()) {
    std::string joined;
    for (const auto& n : l.notes)
      joined += (joined.empty() ? "note: " : "; ") + n;
    out += fmt::format(
        R"(<text class="note" x="8" y="{}" font-size="11" font-style="italic" fill="#555555">{}</text>)"
        "\n",
        spec.height - 8, xml_text(joined));
  }
  out += "</svg>\n";
  return out;
}

std::string series_colour(std::size_t index) {
  return kPalette[index % kPaletteSize];
}

}  // namespace ptsim
