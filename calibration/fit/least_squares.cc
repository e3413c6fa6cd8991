#include "calibration/fit/least_squares.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "common/check.h"

namespace ptsim {

namespace {

double sse_relative(std::span<const double> x, std::span<const double> y, double a, double b) {
  double sse = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = (a + b * x[i] - y[i]) / y[i];
    sse += r * r;
  }
  return sse;
}

}  // namespace

std::vector<double> weighted_least_squares(std::span<const double> x, int columns,
                                           std::span<const double> y, std::span<const double> w) {
  const auto rows = static_cast<Eigen::Index>(y.size());
  PTSIM_CHECK(columns > 0 && x.size() == y.size() * static_cast<std::size_t>(columns) &&
                  w.size() == y.size(),
              "weighted_least_squares: inconsistent sizes");
  Eigen::MatrixXd a(rows, columns);
  Eigen::VectorXd b(rows);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const double sw = std::sqrt(w[static_cast<std::size_t>(r)]);
    for (int c = 0; c < columns; ++c) {
      a(r, c) = sw * x[static_cast<std::size_t>(r) * columns + c];
    }
    b(r) = sw * y[static_cast<std::size_t>(r)];
  }
  const Eigen::VectorXd beta = a.colPivHouseholderQr().solve(b);
  return std::vector<double>(beta.data(), beta.data() + beta.size());
}

LineFit fit_line_relative(std::span<const double> x, std::span<const double> y) {
  PTSIM_CHECK(x.size() == y.size() && !x.empty(), "fit_line_relative: needs matching points");
  for (double v : y)
    PTSIM_CHECK(v > 0, "fit_line_relative: y must be positive");
  const std::size_t n = x.size();
  std::vector<double> design(2 * n);
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    design[2 * i] = 1.0;
    design[2 * i + 1] = x[i];
    w[i] = 1.0 / (y[i] * y[i]);
  }
  struct Candidate {
    double a, b;
  };
  std::vector<Candidate> candidates;
  if (n >= 2) {
    const auto beta = weighted_least_squares(design, 2, y, w);
    if (beta[0] >= 0 && beta[1] >= 0) candidates.push_back({beta[0], beta[1]});
  }
  if (candidates.empty()) {
    // Intercept only: minimises sum((a - y)^2 / y^2) -> a = sum(1/y) / sum(1/y^2).
    double s1 = 0, s2 = 0;
    for (double v : y) {
      s1 += 1.0 / v;
      s2 += 1.0 / (v * v);
    }
    candidates.push_back({s1 / s2, 0.0});
    // Slope only: minimises sum((b x - y)^2 / y^2) -> b = sum(x/y) / sum(x^2/y^2).
    double t1 = 0, t2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      t1 += x[i] / y[i];
      t2 += x[i] * x[i] / (y[i] * y[i]);
    }
    if (t2 > 0) candidates.push_back({0.0, t1 / t2});
  }
  LineFit best;
  best.sse_relative = INFINITY;
  for (const auto& c : candidates) {
    const double sse = sse_relative(x, y, c.a, c.b);
    if (sse < best.sse_relative) {
      best.intercept = c.a;
      best.slope = c.b;
      best.sse_relative = sse;
    }
  }
  best.rms_relative_error = std::sqrt(best.sse_relative / static_cast<double>(n));
  return best;
}

double rms_relative_error(std::span<const double> predicted, std::span<const double> measured) {
  PTSIM_CHECK(predicted.size() == measured.size(), "rms_relative_error: size mismatch");
  if (measured.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const double r = (predicted[i] - measured[i]) / measured[i];
    sum += r * r;
  }
  return std::sqrt(sum / static_cast<double>(measured.size()));
}

double median(std::vector<double> values) {
  PTSIM_CHECK(!values.empty(), "median of an empty list");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace ptsim
