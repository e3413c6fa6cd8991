// Least-squares helpers for the fits, on Eigen. Times span six orders of magnitude (a 5 us
// all-reduce and a 500 ms one), so every fit minimises *relative* error, sum(((t_hat - t) / t)^2),
// as CALIBRATION_NOTES.md section 6.2 recommends: an absolute fit would ignore the small sizes.
#pragma once

#include <span>
#include <vector>

namespace ptsim {

// Minimises sum_i w_i (x_i . beta - y_i)^2 over beta (rows of `x` are observations, `columns`
// wide, row-major), by column-pivoting Householder QR (rank-revealing, stable).
std::vector<double> weighted_least_squares(std::span<const double> x, int columns,
                                           std::span<const double> y, std::span<const double> w);

struct LineFit {
  double intercept = 0;
  double slope = 0;
  double rms_relative_error = 0;
  double sse_relative = 0;  // sum of squared relative errors
};

// y = intercept + slope * x with intercept >= 0 and slope >= 0, minimising relative error. The
// constraint is enforced as non-negative least squares on two unknowns: the unconstrained
// solution if feasible, else the better of the two one-parameter fits.
LineFit fit_line_relative(std::span<const double> x, std::span<const double> y);

// sqrt(mean(((p - m) / m)^2)); 0 for empty input.
double rms_relative_error(std::span<const double> predicted, std::span<const double> measured);

// Median of a non-empty list (mean of the middle two for an even count).
double median(std::vector<double> values);

}  // namespace ptsim
