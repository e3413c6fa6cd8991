#include "tools/human_format.h"

#include <cmath>
#include <cstdio>

namespace ptsim::cli {

namespace {
std::string printf_string(const char* fmt, double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v, unit);
  return buf;
}
}  // namespace

std::string format_seconds(double s) {
  if (s < 1e-3) return printf_string("%.0f %s", s * 1e6, "us");
  if (s < 1) return printf_string("%.1f %s", s * 1e3, "ms");
  if (s < 3600) return printf_string("%.3f %s", s, "s");
  if (s < 86400 * 2) return printf_string("%.1f %s", s / 3600, "h");
  return printf_string("%.1f %s", s / 86400, "days");
}

std::string format_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (std::fabs(b) >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  return printf_string(u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
}

std::string format_count(double v) {
  if (std::fabs(v) >= 1e9) return printf_string("%.2f %s", v / 1e9, "G");
  if (std::fabs(v) >= 1e6) return printf_string("%.2f %s", v / 1e6, "M");
  if (std::fabs(v) >= 1e4) return printf_string("%.1f %s", v / 1e3, "k");
  return printf_string("%.0f%s", v, "");
}

std::string format_percent(double f) {
  return printf_string("%.1f%s", f * 100, "%");
}

}  // namespace ptsim::cli
