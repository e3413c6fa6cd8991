#include "planner/plot_ticks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "common/check.h"

namespace ptsim {
namespace {

// 10^k, exact for |k| <= 22 (and correctly rounded for negative k, one division of exact values).
double pow10(int k) {
  double p = 1;
  for (int i = 0; i < std::abs(k); ++i)
    p *= 10;
  return k >= 0 ? p : 1 / p;
}

// mantissa x 10^e for an integer-valued mantissa, computed so that decimal ticks such as 0.3 come
// out as the double nearest to 0.3 rather than 3 * 0.1.
double scaled(double mantissa, int e) {
  const double v = e >= 0 ? mantissa * pow10(e) : mantissa / pow10(-e);
  return v == 0 ? 0.0 : v;  // no "-0"
}

int floor_log2(double v) {
  int e = 0;
  std::frexp(v, &e);  // v = m * 2^e with m in [0.5, 1)
  return e - 1;
}
int floor_log10(double v) {
  int k = static_cast<int>(std::floor(std::log10(v)));
  while (pow10(k + 1) <= v)
    ++k;  // std::log10 may be off by one ulp at exact powers
  while (pow10(k) > v)
    --k;
  return k;
}

// Label for a power of two on a binary axis: 1024 -> "1k", 16384 -> "16k", 2^20 -> "1M".
std::string binary_label(double v) {
  static constexpr std::array<const char*, 6> kSuffix = {"k", "M", "G", "T", "P", "E"};
  const int k = floor_log2(v);
  if (k < 10) return si_label(v);
  const int j = std::min(k / 10, 6);
  return fmt::format("{}{}", static_cast<std::int64_t>(std::ldexp(1.0, k - 10 * j)),
                     kSuffix[j - 1]);
}

AxisTicks make_ticks(const std::vector<double>& values, bool log, bool binary) {
  AxisTicks t;
  t.log = log;
  t.values = values;
  for (double v : values)
    t.labels.push_back(binary ? binary_label(v) : si_label(v));
  t.lo = values.front();
  t.hi = values.back();
  return t;
}

}  // namespace

bool is_power_of_two(double v) {
  int e = 0;
  return v > 0 && std::isfinite(v) && std::frexp(v, &e) == 0.5;
}

std::string si_label(double value) {
  static constexpr std::array<const char*, 6> kSuffix = {"k", "M", "G", "T", "P", "E"};
  if (value == 0) return "0";
  const double a = std::fabs(value);
  if (a < 1000) return fmt::format("{}", value);
  std::size_t j = 0;
  double unit = 1000;
  while (j + 1 < kSuffix.size() && a >= unit * 1000) {
    unit *= 1000;
    ++j;
  }
  return fmt::format("{}{}", value / unit, kSuffix[j]);
}

AxisTicks linear_ticks(double data_lo, double data_hi, int max_intervals) {
  PTSIM_CHECK(std::isfinite(data_lo) && std::isfinite(data_hi) && data_lo <= data_hi,
              "linear_ticks needs a finite, ordered range");
  PTSIM_CHECK(max_intervals >= 1 && data_hi - data_lo < 1e300, "linear_ticks: range too wide");
  double lo = data_lo, hi = data_hi;
  if (lo == hi) {
    lo = data_lo > 0 ? 0 : data_lo < 0 ? 2 * data_lo : -1;
    hi = data_lo > 0 ? 2 * data_hi : data_lo < 0 ? 0 : 1;
  }
  const int e0 = static_cast<int>(std::floor(std::log10((hi - lo) / max_intervals)));
  for (int e = e0 - 1; e <= e0 + 2; ++e) {
    for (int m : {1, 2, 5}) {
      const double step = scaled(m, e);
      // The slack keeps a data end that sits on a tick (up to rounding) from adding an interval.
      const double k_lo = std::floor(lo / step + 1e-9);
      const double k_hi = std::ceil(hi / step - 1e-9);
      if (k_hi - k_lo > max_intervals) continue;
      std::vector<double> values;
      for (double k = k_lo; k <= k_hi; ++k)
        values.push_back(scaled(k * m, e));
      return make_ticks(values, false, false);
    }
  }
  PTSIM_CHECK(false, "linear_ticks found no step");  // a step of 10^(e0+1) always fits
  return {};
}

AxisTicks log_ticks(double data_lo, double data_hi, bool powers_of_two, int max_intervals) {
  PTSIM_CHECK(data_lo > 0 && data_lo <= data_hi && std::isfinite(data_hi),
              "log_ticks needs a positive, finite, ordered range");
  PTSIM_CHECK(max_intervals >= 1, "log_ticks needs at least one interval");
  std::vector<double> values;
  if (powers_of_two && data_lo >= 1) {
    int a = floor_log2(data_lo);
    int b = floor_log2(data_hi) + (is_power_of_two(data_hi) ? 0 : 1);
    if (a == b) --a, ++b;
    if (b - a <= max_intervals) {
      for (int k = a; k <= b; ++k)
        values.push_back(std::ldexp(1.0, k));
      return make_ticks(values, true, true);
    }
  }
  const int a = floor_log10(data_lo);
  const int b = floor_log10(data_hi) + (pow10(floor_log10(data_hi)) == data_hi ? 0 : 1);
  if (b - a <= 3) {
    std::vector<double> candidates;
    for (int k = a - 1; k <= b + 1; ++k) {
      for (int m : {1, 2, 5})
        candidates.push_back(scaled(m, k));
    }
    // Outermost candidates that still enclose the data, one more each way for a single value.
    auto first = std::upper_bound(candidates.begin(), candidates.end(), data_lo) - 1;
    auto last = std::lower_bound(candidates.begin(), candidates.end(), data_hi);
    if (first == last) --first, ++last;
    values.assign(first, last + 1);
    if (values.size() < 4 && data_lo < data_hi) {
      // Data within a factor of about two: 1-2-5 would leave two or three ticks at most.
      const AxisTicks linear = linear_ticks(data_lo, data_hi);
      if (linear.lo > 0) return make_ticks(linear.values, true, false);
    }
    return make_ticks(values, true, false);
  }
  const int step = (b - a + max_intervals - 1) / max_intervals;
  const auto floor_div = [](int n, int d) { return n >= 0 ? n / d : -((-n + d - 1) / d); };
  for (int k = floor_div(a, step) * step; k < b + step; k += step)
    values.push_back(pow10(k));
  return make_ticks(values, true, false);
}

}  // namespace ptsim
