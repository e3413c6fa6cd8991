// Human-readable numbers for tool output (tables may print ms, GiB, GB/s, TFLOP/s; JSON stays SI).
#pragma once

#include <string>

namespace ptsim::cli {

std::string format_seconds(double s);    // "812 us", "14.2 ms", "3.512 s", "2.4 h", "31.5 days"
std::string format_bytes(double bytes);  // binary: "62.3 GiB"
std::string format_count(double v);      // "1.36 M", "218.7 k"
std::string format_percent(double fraction);  // "41.7%"

}  // namespace ptsim::cli
