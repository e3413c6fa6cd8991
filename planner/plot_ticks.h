// Axis ticks for charts: which values get a tick and gridline, and how they are labelled. Linear
// axes step by 1, 2 or 5 x 10^k; log axes use powers of two for GPU counts, 1-2-5 values within a
// few decades, or powers of ten. Labels carry SI suffixes ("16k", "1.5M").
//
// Tick values are computed as integer x 10^e in one rounding (0.3 is the double nearest to 0.3,
// never 3 * 0.1), so labels are short and the same on every machine. Validated by
// tests/planner_output/plot_ticks_test.cc, whose expected ticks are worked out by hand.
#pragma once

#include <string>
#include <vector>

namespace ptsim {

// One axis as drawn: the range [lo, hi] is the data range widened to the outermost ticks.
struct AxisTicks {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> values;       // increasing; values.front() == lo, values.back() == hi
  std::vector<std::string> labels;  // one per value
};

// Linear axis over [data_lo, data_hi]: ticks at multiples of a step of 1, 2 or 5 x 10^k, the
// smallest such step that needs at most max_intervals intervals. Equal ends are widened first:
// v > 0 to [0, 2v], v < 0 to [2v, 0], 0 to [-1, 1].
AxisTicks linear_ticks(double data_lo, double data_hi, int max_intervals = 8);

// Log axis over [data_lo, data_hi] (both > 0). Tick families, the first that fits:
//  * powers of two, when every value is a power of two >= 1 (GPU counts in a sweep) and the data
//    span at most max_intervals doublings; labels use binary multiples (16384 -> "16k", as
//    "16k GPUs" is said), which is exact because the points sit on the ticks;
//  * 1, 2, 5 x 10^k, when the data span at most three decades; if that gives fewer than four
//    ticks (data within a factor of about two), linear_ticks over the data instead, still placed
//    on the log scale;
//  * powers of ten, every n-th decade so that there are at most max_intervals intervals.
// A single value that falls on a tick gets one tick either side.
AxisTicks log_ticks(double data_lo, double data_hi, bool powers_of_two, int max_intervals = 12);

// Tick label with an SI suffix and the shortest decimal that round-trips: 16000 -> "16k",
// 1500000 -> "1.5M", 0.25 -> "0.25", 0 -> "0". Magnitudes below 1e-4 use exponent notation.
std::string si_label(double value);

// Whether v is an exact power of two (v = 2^k for an integer k), the test for GPU-count data.
bool is_power_of_two(double v);

}  // namespace ptsim
