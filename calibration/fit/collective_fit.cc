#include "calibration/fit/collective_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "calibration/fit/curve_fit.h"
#include "calibration/fit/least_squares.h"

namespace ptsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kInformativeTransferFraction = 0.05;

LineFit fit_range(const std::vector<double>& x, const std::vector<double>& y, std::size_t lo,
                  std::size_t hi) {
  return fit_line_relative(std::span(x).subspan(lo, hi - lo), std::span(y).subspan(lo, hi - lo));
}

struct GroupPoints {
  std::vector<double> bytes, times;
  int excluded = 0;
};

void fit_link_class(const std::vector<const CollectiveGroupFit*>& groups,
                    const std::map<std::tuple<int, int, int>, GroupPoints>& points, double link_bw,
                    const CollectiveFitOptions& options, const std::string& what,
                    LinkClassFit& out) {
  out.link_bandwidth_bytes_per_s = link_bw;
  if (groups.empty() || link_bw <= 0) return;
  out.measured = true;
  out.groups = static_cast<int>(groups.size());
  // Latency: each group's small-size alpha against its step count.
  std::vector<double> steps, alphas;
  for (const auto* g : groups) {
    steps.push_back(collective_steps(g->collective, g->ranks));
    alphas.push_back(std::max(g->regimes.front().latency_s, 1e-9));
  }
  const LineFit lat = fit_line_relative(steps, alphas);
  out.tuning.base_latency_s = lat.intercept;
  out.tuning.step_latency_s = lat.slope;
  out.latency_rms_relative_error = lat.rms_relative_error;
  // Efficiency against S, every point of the class, latency taken off.
  std::vector<CurveSample> samples, all;
  struct Pt {
    double s, f, latency, t;
  };
  std::vector<Pt> pts;
  for (const auto* g : groups) {
    const auto& p = points.at({static_cast<int>(g->collective), g->ranks, g->nodes});
    const double f = busbw_factor(g->collective, g->ranks);
    const double latency = out.tuning.base_latency_s +
                           collective_steps(g->collective, g->ranks) * out.tuning.step_latency_s;
    for (std::size_t i = 0; i < p.bytes.size(); ++i) {
      // As in the compute fits: a point whose transfer is under 5 % of its time (latency-bound,
      // within the noise) says nothing about bandwidth and stays out of the table.
      const double transfer = p.times[i] - latency;
      const double floored = std::max(transfer, kInformativeTransferFraction * p.times[i]);
      const double eff = p.bytes[i] * f / (floored * link_bw);
      all.push_back({p.bytes[i], eff});
      if (transfer >= kInformativeTransferFraction * p.times[i]) {
        samples.push_back(all.back());
        if (eff > 1.0) out.busbw_exceeds_link = true;
      }
      pts.push_back({p.bytes[i], f, latency, p.times[i]});
    }
  }
  out.tuning.bus_bandwidth_efficiency =
      tabulate_efficiency(samples.empty() ? all : samples, options.bin_decades,
                          options.source + "; " + what + " bus bandwidth efficiency");
  std::vector<double> predicted, measured;
  for (const auto& p : pts) {
    predicted.push_back(p.latency +
                        p.s * p.f / (link_bw * out.tuning.bus_bandwidth_efficiency.at(p.s)));
    measured.push_back(p.t);
  }
  out.points = static_cast<int>(pts.size());
  out.rms_relative_error = rms_relative_error(predicted, measured);
  out.tuning.bus_bandwidth_efficiency.source +=
      fmt::format("; {} groups, {} points, RMS relative error {:.1f} %", out.groups, out.points,
                  100 * out.rms_relative_error);
}

}  // namespace

std::vector<CollectiveRegime> fit_regimes(const std::vector<double>& bytes,
                                          const std::vector<double>& times, double factor,
                                          const CollectiveFitOptions& options) {
  const std::size_t n = bytes.size();
  PTSIM_CHECK(n == times.size() && n > 0, "fit_regimes: needs matching points");
  const std::size_t min_pts = static_cast<std::size_t>(std::max(1, options.min_points_per_regime));
  const int max_k = static_cast<int>(
      std::max<std::size_t>(1, std::min<std::size_t>(options.max_regimes, n / min_pts)));
  // cost[k][j]: least SSE of the first j points in k regimes; cut[k][j]: start of the last one.
  std::vector<std::vector<double>> cost(max_k + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<std::size_t>> cut(max_k + 1, std::vector<std::size_t>(n + 1, 0));
  cost[0][0] = 0;
  for (int k = 1; k <= max_k; ++k) {
    for (std::size_t j = min_pts * k; j <= n; ++j) {
      for (std::size_t i = min_pts * (k - 1); i + min_pts <= j; ++i) {
        if (cost[k - 1][i] == kInf) continue;
        const double c = cost[k - 1][i] + fit_range(bytes, times, i, j).sse_relative;
        if (c < cost[k][j]) {
          cost[k][j] = c;
          cut[k][j] = i;
        }
      }
    }
  }
  // Fewest regimes whose error is within 10 % (+ 0.2 points RMS) of the most regimes'.
  const auto rms = [&](int k) { return std::sqrt(cost[k][n] / static_cast<double>(n)); };
  int best_k = max_k;
  for (int k = 1; k <= max_k; ++k) {
    if (cost[k][n] < kInf && rms(k) <= 1.1 * rms(max_k) + 0.002) {
      best_k = k;
      break;
    }
  }
  if (cost[best_k][n] == kInf) best_k = 1;
  std::vector<std::size_t> starts(best_k + 1);
  starts[best_k] = n;
  for (int k = best_k, j = static_cast<int>(n); k >= 1; --k) {
    starts[k - 1] = cut[k][j];
    j = static_cast<int>(cut[k][j]);
  }
  std::vector<CollectiveRegime> out;
  for (int k = 0; k < best_k; ++k) {
    const std::size_t lo = starts[k], hi = starts[k + 1];
    const LineFit f = fit_range(bytes, times, lo, hi);
    CollectiveRegime r;
    r.min_bytes = bytes[lo];
    r.max_bytes = bytes[hi - 1];
    r.latency_s = f.intercept;
    r.bus_bandwidth_bytes_per_s = f.slope > 0 ? factor / f.slope : 0;
    r.points = static_cast<int>(hi - lo);
    r.rms_relative_error = f.rms_relative_error;
    out.push_back(r);
  }
  return out;
}

CollectiveFit fit_collectives(const MeasurementSet& data, double nvlink_bandwidth_bytes_per_s,
                              double nic_bandwidth_bytes_per_s,
                              const CollectiveFitOptions& options) {
  CollectiveFit out;
  std::map<std::tuple<int, int, int>, GroupPoints> groups;  // sorted: deterministic order
  std::vector<double> single_rank;
  for (const auto& c : data.all<CollectiveMeasurement>()) {
    if (c.ranks == 1) {
      if (c.wrong == 0) single_rank.push_back(c.timing.median_s);
      continue;
    }
    auto& g = groups[{static_cast<int>(c.collective), c.ranks, c.nodes}];
    if (c.wrong != 0) {
      ++g.excluded;
      continue;
    }
    g.bytes.push_back(c.bytes);
    g.times.push_back(c.timing.median_s);
  }
  if (!single_rank.empty()) {
    out.single_rank_launch_s = median(single_rank);
    out.single_rank_points = static_cast<int>(single_rank.size());
  }
  for (auto& [key, g] : groups) {
    // Sort the group's points by size.
    std::vector<std::size_t> order(g.bytes.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return g.bytes[a] < g.bytes[b]; });
    std::vector<double> b, t;
    for (std::size_t i : order) {
      b.push_back(g.bytes[i]);
      t.push_back(g.times[i]);
    }
    g.bytes = b;
    g.times = t;
    CollectiveGroupFit fit;
    fit.collective = static_cast<Collective>(std::get<0>(key));
    fit.ranks = std::get<1>(key);
    fit.nodes = std::get<2>(key);
    fit.excluded = g.excluded;
    fit.points = static_cast<int>(b.size());
    if (b.empty()) {
      out.groups.push_back(fit);
      continue;
    }
    const double f = busbw_factor(fit.collective, fit.ranks);
    fit.regimes = fit_regimes(b, t, f, options);
    std::vector<double> predicted;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const auto& r = *std::find_if(fit.regimes.begin(), fit.regimes.end(),
                                    [&](const CollectiveRegime& x) { return b[i] <= x.max_bytes; });
      predicted.push_back(r.latency_s + (r.bus_bandwidth_bytes_per_s > 0
                                             ? b[i] * f / r.bus_bandwidth_bytes_per_s
                                             : 0.0));
      fit.peak_busbw_bytes_per_s = std::max(fit.peak_busbw_bytes_per_s, b[i] * f / t[i]);
    }
    fit.rms_relative_error = rms_relative_error(predicted, t);
    out.groups.push_back(fit);
  }
  std::vector<const CollectiveGroupFit*> intra, inter;
  for (const auto& g : out.groups) {
    if (g.regimes.empty()) continue;
    (g.nodes > 1 ? inter : intra).push_back(&g);
  }
  fit_link_class(intra, groups, nvlink_bandwidth_bytes_per_s, options, "NVLink", out.nvlink);
  fit_link_class(inter, groups, nic_bandwidth_bytes_per_s, options, "network", out.network);
  return out;
}

}  // namespace ptsim
