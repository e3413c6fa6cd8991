#include "hardware_profiles/efficiency_curve.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace ptsim {

double EfficiencyCurve::at(double x) const {
  PTSIM_CHECK(!points.empty(), "EfficiencyCurve::at on an empty curve");
  if (x <= points.front()[0]) return points.front()[1];
  if (x >= points.back()[0]) return points.back()[1];
  auto upper = std::upper_bound(points.begin(), points.end(), x,
                                [](double v, const std::array<double, 2>& p) { return v < p[0]; });
  const auto& hi = *upper;
  const auto& lo = *(upper - 1);
  const double t = (std::log10(x) - std::log10(lo[0])) / (std::log10(hi[0]) - std::log10(lo[0]));
  return lo[1] + t * (hi[1] - lo[1]);
}

}  // namespace ptsim
