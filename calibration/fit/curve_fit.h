// Turns efficiency samples (x, achieved fraction of peak) into the EfficiencyCurve a profile
// stores: Calculon-style tables [[x, efficiency], ...] that hardware_profiles interpolates
// log-linearly. Samples are grouped into bins of equal width in log10(x); each bin becomes one
// point at the geometric mean of its x with the median of its efficiencies. The median keeps one
// outlier (a slow repetition, an odd shape) from moving the table; bins keep the table small and
// smooth where many shapes have similar size.
#pragma once

#include <string>
#include <vector>

#include "hardware_profiles/efficiency_curve.h"

namespace ptsim {

struct CurveSample {
  double x = 0;
  double efficiency = 0;
};

// Efficiencies are clamped to [kMinEfficiency, 1]: an EfficiencyCurve holds values in (0, 1].
inline constexpr double kMinEfficiency = 1e-4;

// Bins start at floor(log10(min x) / bin_decades) * bin_decades, so the same samples always give
// the same table. Samples with x <= 0 are ignored. Empty input gives an empty curve.
EfficiencyCurve tabulate_efficiency(std::vector<CurveSample> samples, double bin_decades,
                                    std::string source);

}  // namespace ptsim
