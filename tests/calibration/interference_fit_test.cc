// The interference fit on synthetic slowdowns 1.1 k / 132 + 0.02 with 1 % noise on the time.
#include "calibration/fit/interference_fit.h"

#include <gtest/gtest.h>

#include "calibration/results_io.h"
#include "tests/calibration/synthetic_data.h"

namespace ptsim {
namespace {

namespace syn = synthetic;

MeasurementSet data() {
  auto r =
      load_measurements(PTSIM_SOURCE_DIR "/tests/calibration/data/synthetic_interference.jsonl");
  EXPECT_TRUE(r.ok()) << r.error().one_line();
  return r.ok() ? r.value() : MeasurementSet{};
}

TEST(ValidationInterferenceFit, RecoversTheSlowdownAtTheReferenceSmCount) {
  const InterferenceFit fit = fit_interference(data(), kOverlapReferenceSms);
  ASSERT_TRUE(fit.measured);
  EXPECT_EQ(fit.slowdown_by_sms.size(), 7u);
  // The noise is 1 % of the shared time alone * (1 + s): s is off by at most 0.01 (1 + s).
  const double s16 = syn::interference_slowdown(16);
  EXPECT_NEAR(fit.slowdown_at_reference, s16, 0.01 * (1 + s16));
  for (const auto& [k, s] : fit.slowdown_by_sms) {
    const double truth = syn::interference_slowdown(k);
    EXPECT_NEAR(s, truth, 0.01 * (1 + truth)) << k << " SMs";
  }
}

TEST(UnitInterferenceFit, InterpolatesBetweenMeasuredSmCountsAndClampsOutside) {
  MeasurementSet set;
  for (auto [k, s] : {std::pair{8, 0.10}, std::pair{32, 0.30}}) {
    InterferenceMeasurement m;
    m.held_sms = k;
    m.sm_count = 132;
    m.m = m.n = m.k = 4096;
    m.alone_s = 1e-3;
    m.timing = {1e-3 * (1 + s), 1e-3, 1e-3, 5, 20};
    set.measurements.push_back(m);
  }
  EXPECT_NEAR(fit_interference(set, 16).slowdown_at_reference, 0.10 + (16 - 8) * 0.20 / 24, 1e-9);
  EXPECT_NEAR(fit_interference(set, 4).slowdown_at_reference, 0.10, 1e-9);
  EXPECT_NEAR(fit_interference(set, 64).slowdown_at_reference, 0.30, 1e-9);
  EXPECT_FALSE(fit_interference(MeasurementSet{}, 16).measured);
}

}  // namespace
}  // namespace ptsim
