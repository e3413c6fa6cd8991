// A measured or published efficiency table: sorted points [x, efficiency] with efficiency in
// (0, 1], interpolated linearly in log10(x) and clamped at both ends. Every efficiency table of a
// profile (GEMM, attention, memory-bound kernels, collectives) is one of these, read and checked by
// one loader function and evaluated by one function (Calculon's curves, with real interpolation).
#pragma once

#include <array>
#include <string>
#include <vector>

namespace ptsim {

struct EfficiencyCurve {
  std::vector<std::array<double, 2>> points;  // strictly increasing x > 0; y in (0, 1]
  std::string source;                         // citation or "calibrated: ..."

  // Efficiency at x: log-linear interpolation, constant beyond the first and last points.
  double at(double x) const;
  bool empty() const { return points.empty(); }
  friend bool operator==(const EfficiencyCurve&, const EfficiencyCurve&) = default;
};

}  // namespace ptsim
