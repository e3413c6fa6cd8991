// Least squares and efficiency tabulation, on hand-checked inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "calibration/fit/curve_fit.h"
#include "calibration/fit/least_squares.h"

namespace ptsim {
namespace {

TEST(UnitLeastSquares, RecoversAnExactLine) {
  const std::vector<double> x = {1, 10, 100, 1000};
  std::vector<double> y;
  for (double v : x)
    y.push_back(3.0 + 0.5 * v);
  const LineFit f = fit_line_relative(x, y);
  EXPECT_NEAR(f.intercept, 3.0, 1e-9);
  EXPECT_NEAR(f.slope, 0.5, 1e-12);
  EXPECT_NEAR(f.rms_relative_error, 0.0, 1e-12);
}

TEST(UnitLeastSquares, NeverReturnsANegativeIntercept) {
  // y = 2x - 1 would need intercept -1; the constrained fit is a line through the origin.
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> y = {1, 3, 5, 7};
  const LineFit f = fit_line_relative(x, y);
  EXPECT_GE(f.intercept, 0.0);
  EXPECT_GE(f.slope, 0.0);
  // Slope-only optimum of sum((b x - y)^2 / y^2): b = sum(x/y) / sum(x^2/y^2), hand-computed.
  const double t1 = 1 / 1.0 + 2 / 3.0 + 3 / 5.0 + 4 / 7.0;
  const double t2 = 1 / 1.0 + 4 / 9.0 + 9 / 25.0 + 16 / 49.0;
  EXPECT_EQ(f.intercept, 0.0);
  EXPECT_NEAR(f.slope, t1 / t2, 1e-12);
}

TEST(UnitLeastSquares, WeightedSolveMatchesTheNormalEquations) {
  // y = 1 + 2x at x = 0, 1, 2 with weights 1, 2, 1 and y perturbed at x = 1 by +1: the weighted
  // normal equations [4 4; 4 6] [a b] = [14 18] give a = 3/2, b = 2 (hand-solved).
  const std::vector<double> design = {1, 0, 1, 1, 1, 2};
  const std::vector<double> y = {1, 4, 5};
  const std::vector<double> w = {1, 2, 1};
  const auto beta = weighted_least_squares(design, 2, y, w);
  EXPECT_NEAR(beta[0], 1.5, 1e-12);
  EXPECT_NEAR(beta[1], 2.0, 1e-12);
}

TEST(UnitLeastSquares, MedianOfEvenAndOddLists) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(UnitCurveFit, BinsByQuarterDecadeAndTakesTheMedian) {
  // Three samples in the bin [1e6, 10^6.25) and one at 1e9.
  const auto c =
      tabulate_efficiency({{1e6, 0.2}, {1.5e6, 0.9}, {1.2e6, 0.4}, {1e9, 0.8}}, 0.25, "test");
  ASSERT_EQ(c.points.size(), 2u);
  EXPECT_NEAR(c.points[0][0], std::cbrt(1e6 * 1.5e6 * 1.2e6), 1e-3);
  EXPECT_DOUBLE_EQ(c.points[0][1], 0.4);
  EXPECT_DOUBLE_EQ(c.points[1][0], 1e9);
  EXPECT_DOUBLE_EQ(c.points[1][1], 0.8);
  EXPECT_EQ(c.source, "test");
}

TEST(UnitCurveFit, ClampsEfficienciesIntoTheValidRange) {
  const auto c = tabulate_efficiency({{1e3, 1.7}, {1e6, 0.0}, {-5, 0.5}}, 0.25, "");
  ASSERT_EQ(c.points.size(), 2u);  // x <= 0 dropped
  EXPECT_DOUBLE_EQ(c.points[0][1], 1.0);
  EXPECT_DOUBLE_EQ(c.points[1][1], kMinEfficiency);
  EXPECT_TRUE(tabulate_efficiency({}, 0.25, "").empty());
}

}  // namespace
}  // namespace ptsim
