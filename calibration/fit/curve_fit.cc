#include "calibration/fit/curve_fit.h"

#include <algorithm>
#include <cmath>

#include "calibration/fit/least_squares.h"
#include "common/check.h"

namespace ptsim {

EfficiencyCurve tabulate_efficiency(std::vector<CurveSample> samples, double bin_decades,
                                    std::string source) {
  PTSIM_CHECK(bin_decades > 0, "tabulate_efficiency: bin width must be positive");
  EfficiencyCurve curve;
  curve.source = std::move(source);
  std::erase_if(samples, [](const CurveSample& s) { return !(s.x > 0); });
  if (samples.empty()) return curve;
  std::sort(samples.begin(), samples.end(), [](const CurveSample& a, const CurveSample& b) {
    return a.x < b.x || (a.x == b.x && a.efficiency < b.efficiency);
  });
  const double origin = std::floor(std::log10(samples.front().x) / bin_decades) * bin_decades;
  std::size_t i = 0;
  while (i < samples.size()) {
    const auto bin =
        static_cast<long>(std::floor((std::log10(samples[i].x) - origin) / bin_decades));
    std::vector<double> effs;
    double log_sum = 0;
    std::size_t j = i;
    while (j < samples.size() && static_cast<long>(std::floor((std::log10(samples[j].x) - origin) /
                                                              bin_decades)) == bin) {
      effs.push_back(samples[j].efficiency);
      log_sum += std::log10(samples[j].x);
      ++j;
    }
    const double x = std::pow(10.0, log_sum / static_cast<double>(j - i));
    const double y = std::clamp(median(effs), kMinEfficiency, 1.0);
    // Geometric means of consecutive bins are strictly increasing unless rounding collapses
    // them; keep the table strictly increasing in x as EfficiencyCurve requires.
    if (curve.points.empty() || x > curve.points.back()[0]) curve.points.push_back({x, y});
    i = j;
  }
  return curve;
}

}  // namespace ptsim
