// Axis ticks, each case worked out by hand from the rules in planner/plot_ticks.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "planner/plot_ticks.h"

namespace ptsim {
namespace {

// Tick values are compared exactly: they are decimal multiples built as k*m / 10^e, so 0.03 must be
// the double nearest to 0.03 (what the literal gives), not 3 * 0.01.
void expect_ticks(const AxisTicks& t, const std::vector<double>& values,
                  const std::vector<std::string>& labels) {
  EXPECT_EQ(t.values, values);
  EXPECT_EQ(t.labels, labels);
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(t.lo, values.front());
  EXPECT_EQ(t.hi, values.back());
}

// Linear axes: the smallest step of 1, 2 or 5 x 10^k with at most 8 intervals (by hand: for
// [0, 100], steps 1, 2, 5, 10 need 100, 50, 20, 10 intervals; 20 needs 5).
TEST(UnitPlotTicks, ZeroToHundredStepsByTwenty) {
  expect_ticks(linear_ticks(0, 100), {0, 20, 40, 60, 80, 100},
               {"0", "20", "40", "60", "80", "100"});
  expect_ticks(linear_ticks(3, 97), {0, 20, 40, 60, 80, 100}, {"0", "20", "40", "60", "80", "100"});
}

TEST(UnitPlotTicks, SmallDecimalsAreExactMultiples) {
  // [0.013, 0.087]: step 0.005 needs 18 - 2 = 16 intervals, 0.01 needs 9 - 1 = 8.
  expect_ticks(linear_ticks(0.013, 0.087), {0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09},
               {"0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.07", "0.08", "0.09"});
}

TEST(UnitPlotTicks, ThousandsGetTheKiloSuffix) {
  // [1000, 16000]: step 1000 needs 15 intervals, 2000 needs 8.
  expect_ticks(linear_ticks(1000, 16000), {0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000},
               {"0", "2k", "4k", "6k", "8k", "10k", "12k", "14k", "16k"});
}

TEST(UnitPlotTicks, RangeAcrossZeroKeepsZeroATick) {
  // [-3.2, 7.7]: step 1 needs 8 - (-4) = 12 intervals, step 2 needs 4 - (-2) = 6.
  expect_ticks(linear_ticks(-3.2, 7.7), {-4, -2, 0, 2, 4, 6, 8},
               {"-4", "-2", "0", "2", "4", "6", "8"});
}

TEST(UnitPlotTicks, EqualValuesAreWidenedToIncludeZero) {
  // 10 -> [0, 20]: steps 1, 2 need 20, 10 intervals; 5 needs 4.
  expect_ticks(linear_ticks(10, 10), {0, 5, 10, 15, 20}, {"0", "5", "10", "15", "20"});
  // -4 -> [-8, 0]: step 1 needs exactly 8 intervals, which is allowed.
  expect_ticks(linear_ticks(-4, -4), {-8, -7, -6, -5, -4, -3, -2, -1, 0},
               {"-8", "-7", "-6", "-5", "-4", "-3", "-2", "-1", "0"});
  expect_ticks(linear_ticks(0, 0), {-1, -0.5, 0, 0.5, 1}, {"-1", "-0.5", "0", "0.5", "1"});
}

TEST(UnitPlotTicks, PowerOfTwoCountsGetPowerOfTwoTicksWithBinaryLabels) {
  // 2^3 .. 2^14 is 11 doublings, within 12; 16384 GPUs is said "16k".
  expect_ticks(log_ticks(8, 16384, true),
               {8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384},
               {"8", "16", "32", "64", "128", "256", "512", "1k", "2k", "4k", "8k", "16k"});
  expect_ticks(log_ticks(128, 256, true), {128, 256}, {"128", "256"});
  expect_ticks(log_ticks(512, 512, true), {256, 512, 1024}, {"256", "512", "1k"});
  expect_ticks(log_ticks(1 << 20, 1 << 20, true), {1 << 19, 1 << 20, 1 << 21},
               {"512k", "1M", "2M"});
}

TEST(UnitPlotTicks, WideCountRangesFallBackToDecades) {
  // 8 .. 2^20 is 17 doublings, more than 12; 10^0 .. 10^7 is seven decades.
  expect_ticks(log_ticks(8, 1 << 20, true), {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7},
               {"1", "10", "100", "1k", "10k", "100k", "1M", "10M"});
  // 10^-3 .. 10^17 is 20 decades: every second one, from 10^-4 to 10^18 (11 intervals).
  expect_ticks(
      log_ticks(1e-3, 1e17, false),
      {1e-4, 1e-2, 1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12, 1e14, 1e16, 1e18},
      {"0.0001", "0.01", "1", "100", "10k", "1M", "100M", "10G", "1T", "100T", "10P", "1E"});
}

TEST(UnitPlotTicks, FractionalLogDataGetOneTwoFiveTicks) {
  // Days to train between 3 and 70: 1-2-5 values enclosing them.
  expect_ticks(log_ticks(3, 70, false), {2, 5, 10, 20, 50, 100},
               {"2", "5", "10", "20", "50", "100"});
  expect_ticks(log_ticks(0.5, 0.5, false), {0.2, 0.5, 1}, {"0.2", "0.5", "1"});
  // Powers of two below 1 are not GPU counts: 1-2-5 ticks for them.
  expect_ticks(log_ticks(0.25, 2, true), {0.2, 0.5, 1, 2}, {"0.2", "0.5", "1", "2"});
}

TEST(UnitPlotTicks, NarrowLogRangesGetLinearStepsOnTheLogScale) {
  // 1e6 .. 2e6 GPU-hours: 1-2-5 would give the two ticks 1M and 2M; linear steps of 200k (5
  // intervals; 100k would need 10) instead.
  expect_ticks(log_ticks(1e6, 2e6, false), {1e6, 1.2e6, 1.4e6, 1.6e6, 1.8e6, 2e6},
               {"1M", "1.2M", "1.4M", "1.6M", "1.8M", "2M"});
  // Not for GPU counts that are powers of two: 1M GPUs is 2^20, labelled "1M" exactly there.
  expect_ticks(log_ticks(1 << 20, 1 << 21, true), {1 << 20, 1 << 21}, {"1M", "2M"});
}

TEST(UnitPlotTicks, SiLabelsUseShortestDecimals) {
  EXPECT_EQ(si_label(0), "0");
  EXPECT_EQ(si_label(999), "999");
  EXPECT_EQ(si_label(16000), "16k");
  EXPECT_EQ(si_label(-2000), "-2k");
  EXPECT_EQ(si_label(1.5e6), "1.5M");
  EXPECT_EQ(si_label(2.5e9), "2.5G");
  EXPECT_EQ(si_label(1002), "1.002k");
  EXPECT_EQ(si_label(0.25), "0.25");
  EXPECT_EQ(si_label(1e-5), "1e-05");
}

TEST(UnitPlotTicks, PowerOfTwoDetectionIsExact) {
  EXPECT_TRUE(is_power_of_two(1));
  EXPECT_TRUE(is_power_of_two(16384));
  EXPECT_TRUE(is_power_of_two(0.5));
  EXPECT_FALSE(is_power_of_two(768));
  EXPECT_FALSE(is_power_of_two(16383.999999));
  EXPECT_FALSE(is_power_of_two(0));
  EXPECT_FALSE(is_power_of_two(-8));
}

}  // namespace
}  // namespace ptsim
