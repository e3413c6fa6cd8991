#include "calibration/fit/interference_fit.h"

#include <algorithm>
#include <map>

#include "calibration/fit/least_squares.h"

namespace ptsim {

InterferenceFit fit_interference(const MeasurementSet& data, int reference_sms) {
  InterferenceFit out;
  out.reference_sms = reference_sms;
  std::map<int, std::vector<double>> by_sms;  // sorted by SM count
  for (const auto& i : data.all<InterferenceMeasurement>()) {
    if (i.wrong != 0) {
      ++out.excluded;
      continue;
    }
    by_sms[i.held_sms].push_back(i.slowdown());
    ++out.points;
  }
  if (by_sms.empty()) return out;
  out.measured = true;
  for (const auto& [sms, values] : by_sms)
    out.slowdown_by_sms.emplace_back(sms, median(values));
  const auto& t = out.slowdown_by_sms;
  if (reference_sms <= t.front().first) {
    out.slowdown_at_reference = t.front().second;
  } else if (reference_sms >= t.back().first) {
    out.slowdown_at_reference = t.back().second;
  } else {
    for (std::size_t i = 1; i < t.size(); ++i) {
      if (reference_sms <= t[i].first) {
        const double u = static_cast<double>(reference_sms - t[i - 1].first) /
                         static_cast<double>(t[i].first - t[i - 1].first);
        out.slowdown_at_reference = t[i - 1].second + u * (t[i].second - t[i - 1].second);
        break;
      }
    }
  }
  out.slowdown_at_reference = std::max(0.0, out.slowdown_at_reference);
  return out;
}

}  // namespace ptsim
