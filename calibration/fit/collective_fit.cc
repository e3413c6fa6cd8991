#include "calibration/fit/collective_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "calibration/fit/curve_fit.h"
#include "calibration/fit/least_squares.h"
#include "cost_models/collective_cost.h"

namespace ptsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// As in the compute fits: a point whose transfer is under 5 % of its time (latency-bound, within
// the noise) says nothing about bandwidth and stays out of the efficiency table.
constexpr double kInformativeTransferFraction = 0.05;

LineFit fit_range(const std::vector<double>& x, const std::vector<double>& y, std::size_t lo,
                  std::size_t hi) {
  return fit_line_relative(std::span(x).subspan(lo, hi - lo), std::span(y).subspan(lo, hi - lo));
}

CollectiveKind kind_of(Collective c) {
  switch (c) {
    case Collective::all_reduce:
      return CollectiveKind::all_reduce;
    case Collective::all_gather:
      return CollectiveKind::all_gather;
    case Collective::reduce_scatter:
      return CollectiveKind::reduce_scatter;
    case Collective::all_to_all:
      return CollectiveKind::all_to_all;
    case Collective::send_recv:
      return CollectiveKind::ring_shift;
  }
  return CollectiveKind::all_reduce;
}

// A measured group as the cost model sees it.
struct ModelGroup {
  const CollectiveGroupFit* fit;
  CollectiveKind kind;
  CollectiveAlgorithm algo;
  GroupShape shape;
  std::vector<double> bytes, times;
};

GroupShape shape_of(int ranks, int nodes, const ClusterProfile& c) {
  const int nodes_per_domain = std::max(1, c.nvlink_domain_gpus / std::max(1, c.gpus_per_node));
  const int domains = (nodes + nodes_per_domain - 1) / nodes_per_domain;
  return {ranks, domains, (ranks + domains - 1) / domains};
}

CollectiveAlgorithm algorithm_of(CollectiveKind kind, const GroupShape& g,
                                 const CollectiveCostModel& model) {
  switch (kind) {
    case CollectiveKind::all_reduce:
      return model.applicable(kind, CollectiveAlgorithm::nvls, g) ? CollectiveAlgorithm::nvls
                                                                  : CollectiveAlgorithm::ring;
    case CollectiveKind::all_to_all:
      return CollectiveAlgorithm::pairwise;
    case CollectiveKind::ring_shift:
      return CollectiveAlgorithm::direct;
    default:
      return CollectiveAlgorithm::ring;
  }
}

const char* class_name(const ModelGroup& g) {
  if (g.algo == CollectiveAlgorithm::nvls) return "nvls";
  return g.shape.domains > 1 ? "network" : "nvlink";
}

// Latency of group g with one latency parameter set to 1 and every other to 0: its coefficient in
// the (linear) latency model.
double coefficient(const ModelGroup& g, const ClusterProfile& base, double CollectiveTuning::*param,
                   CollectiveTuning ClusterProfile::*table) {
  ClusterProfile unit = base;
  for (auto t : {&ClusterProfile::nvlink_collectives, &ClusterProfile::nvls_collectives,
                 &ClusterProfile::network_collectives}) {
    (unit.*t).base_latency_s = 0;
    (unit.*t).step_latency_s = 0;
  }
  (unit.*table).*param = 1;
  return CollectiveCostModel(unit).latency_s(g.kind, g.algo, g.shape);
}

// Fits one link class's efficiency table on `profile` (whose latencies are final) and reports it.
void fit_efficiency(const std::vector<const ModelGroup*>& groups, ClusterProfile& profile,
                    CollectiveTuning ClusterProfile::*table, const CollectiveFitOptions& options,
                    const char* what, LinkClassFit& out) {
  ClusterProfile unit = profile;  // every table at 100 %: predicted - latency = ideal transfer
  for (auto t : {&ClusterProfile::nvlink_collectives, &ClusterProfile::nvls_collectives,
                 &ClusterProfile::network_collectives}) {
    (unit.*t).bus_bandwidth_efficiency = EfficiencyCurve{{{1.0, 1.0}}, "unit"};
  }
  const CollectiveCostModel unit_model(unit);
  std::vector<CurveSample> informative, all;
  using Protocol = CollectiveCostModel::Protocol;
  for (const ModelGroup* g : groups) {
    // The table is the Simple (bulk) protocol's residual efficiency: only the bulk regime's points
    // inform it; smaller sizes run LL/LL128, which the cost model derives by NCCL's ratios.
    const double bulk_from = g->fit->regimes.back().min_bytes;
    const double lat = unit_model.latency_s(g->kind, g->algo, g->shape);
    for (std::size_t i = 0; i < g->bytes.size(); ++i) {
      if (g->bytes[i] < bulk_from) continue;
      const double ideal =
          unit_model.predicted_time_s(g->kind, g->algo, g->shape, g->bytes[i], Protocol::simple) -
          lat;
      const double transfer = g->times[i] - lat;
      const double eff = ideal / std::max(transfer, kInformativeTransferFraction * g->times[i]);
      all.push_back({g->bytes[i], eff});
      if (transfer >= kInformativeTransferFraction * g->times[i]) {
        informative.push_back(all.back());
        if (eff > 1.0) out.efficiency_above_one = true;
      }
      ++out.points;
    }
  }
  (profile.*table).bus_bandwidth_efficiency =
      tabulate_efficiency(informative.empty() ? all : informative, options.bin_decades,
                          options.source + "; " + what + " collectives");
  const CollectiveCostModel model(profile);
  std::vector<double> predicted, measured;
  for (const ModelGroup* g : groups) {
    for (std::size_t i = 0; i < g->bytes.size(); ++i) {
      predicted.push_back(model.predicted_time_s(g->kind, g->algo, g->shape, g->bytes[i]));
      measured.push_back(g->times[i]);
    }
  }
  out.rms_relative_error = rms_relative_error(predicted, measured);
  out.tuning = profile.*table;
  out.tuning.bus_bandwidth_efficiency.source +=
      fmt::format("; {} groups, {} points, RMS relative error {:.1f} %", out.groups, out.points,
                  100 * out.rms_relative_error);
  (profile.*table).bus_bandwidth_efficiency.source = out.tuning.bus_bandwidth_efficiency.source;
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

CollectiveFit fit_collectives(const MeasurementSet& data, const ClusterProfile& cluster,
                              const CollectiveFitOptions& options) {
  CollectiveFit out;
  struct Points {
    std::vector<double> bytes, times;
    int excluded = 0;
  };
  std::map<std::tuple<int, int, int>, Points> by_group;  // sorted: deterministic order
  std::vector<double> single_rank;
  for (const auto& c : data.all<CollectiveMeasurement>()) {
    if (c.ranks == 1) {
      if (c.wrong == 0) single_rank.push_back(c.timing.median_s);
      continue;
    }
    auto& g = by_group[{static_cast<int>(c.collective), c.ranks, c.nodes}];
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

  // Per group: sort by size, fit regimes.
  const CollectiveCostModel base_model(cluster);
  std::vector<ModelGroup> model_groups;
  out.groups.reserve(by_group.size());  // ModelGroup keeps pointers into out.groups
  for (auto& [key, pts] : by_group) {
    std::vector<std::size_t> order(pts.bytes.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return pts.bytes[a] < pts.bytes[b]; });
    ModelGroup mg{};
    for (std::size_t i : order) {
      mg.bytes.push_back(pts.bytes[i]);
      mg.times.push_back(pts.times[i]);
    }
    CollectiveGroupFit fit;
    fit.collective = static_cast<Collective>(std::get<0>(key));
    fit.ranks = std::get<1>(key);
    fit.nodes = std::get<2>(key);
    fit.excluded = pts.excluded;
    fit.points = static_cast<int>(mg.bytes.size());
    mg.kind = kind_of(fit.collective);
    mg.shape = shape_of(fit.ranks, fit.nodes, cluster);
    mg.algo = algorithm_of(mg.kind, mg.shape, base_model);
    fit.link_class = class_name(mg);
    if (!mg.bytes.empty()) {
      const double f = busbw_factor(fit.collective, fit.ranks);
      fit.regimes = fit_regimes(mg.bytes, mg.times, f, options);
      std::vector<double> predicted;
      for (std::size_t i = 0; i < mg.bytes.size(); ++i) {
        const auto& r =
            *std::find_if(fit.regimes.begin(), fit.regimes.end(),
                          [&](const CollectiveRegime& x) { return mg.bytes[i] <= x.max_bytes; });
        predicted.push_back(r.latency_s + (r.bus_bandwidth_bytes_per_s > 0
                                               ? mg.bytes[i] * f / r.bus_bandwidth_bytes_per_s
                                               : 0.0));
        const double busbw = mg.bytes[i] * f / mg.times[i];
        fit.peak_busbw_bytes_per_s = std::max(fit.peak_busbw_bytes_per_s, busbw);
        fit.busbw_by_size.push_back({mg.bytes[i], busbw});
      }
      fit.rms_relative_error = rms_relative_error(predicted, mg.times);
    }
    out.groups.push_back(fit);
    mg.fit = &out.groups.back();
    if (!mg.bytes.empty()) model_groups.push_back(std::move(mg));
  }

  // Latencies, class by class: NVLink first (network latencies include NVLink steps).
  ClusterProfile profile = cluster;
  const auto groups_of = [&](const char* cls) {
    std::vector<const ModelGroup*> v;
    for (const auto& g : model_groups) {
      if (std::string(class_name(g)) == cls) v.push_back(&g);
    }
    return v;
  };
  const auto nvlink = groups_of("nvlink");
  const auto nvls = groups_of("nvls");
  const auto network = groups_of("network");
  using CT = CollectiveTuning;
  using CP = ClusterProfile;
  // The profile states the Simple (bulk) protocol's latencies: the last regime's intercept.
  const auto alpha = [](const ModelGroup* g) {
    return std::max(g->fit->regimes.back().latency_s, 1e-9);
  };
  if (!nvlink.empty()) {
    std::vector<double> x, y;
    for (const auto* g : nvlink) {
      x.push_back(coefficient(*g, cluster, &CT::step_latency_s, &CP::nvlink_collectives));
      y.push_back(alpha(g));
    }
    const LineFit lat = fit_line_relative(x, y);
    profile.nvlink_collectives.base_latency_s = lat.intercept;
    profile.nvlink_collectives.step_latency_s = lat.slope;
    out.nvlink.measured = true;
    out.nvlink.groups = static_cast<int>(nvlink.size());
    out.nvlink.latency_rms_relative_error = lat.rms_relative_error;
  }
  if (!nvls.empty()) {
    // One step of unknown latency: all of it is the base.
    std::vector<double> a;
    for (const auto* g : nvls)
      a.push_back(alpha(g));
    profile.nvls_collectives.base_latency_s = median(a);
    profile.nvls_collectives.step_latency_s = 0;
    out.nvls.measured = true;
    out.nvls.groups = static_cast<int>(nvls.size());
  }
  if (!network.empty()) {
    std::vector<double> x, y;
    for (const auto* g : network) {
      const double nv_steps =
          coefficient(*g, cluster, &CT::step_latency_s, &CP::nvlink_collectives) *
              profile.nvlink_collectives.step_latency_s +
          coefficient(*g, cluster, &CT::base_latency_s, &CP::nvlink_collectives) *
              profile.nvlink_collectives.base_latency_s;
      x.push_back(coefficient(*g, cluster, &CT::step_latency_s, &CP::network_collectives));
      y.push_back(std::max(alpha(g) - nv_steps, 1e-9));
    }
    const LineFit lat = fit_line_relative(x, y);
    profile.network_collectives.base_latency_s = lat.intercept;
    profile.network_collectives.step_latency_s = lat.slope;
    out.network.measured = true;
    out.network.groups = static_cast<int>(network.size());
    out.network.latency_rms_relative_error = lat.rms_relative_error;
  }

  // Efficiency tables on the final latencies.
  if (out.nvlink.measured) {
    fit_efficiency(nvlink, profile, &CP::nvlink_collectives, options, "NVLink", out.nvlink);
  }
  if (out.nvls.measured) {
    fit_efficiency(nvls, profile, &CP::nvls_collectives, options, "NVLS", out.nvls);
  }
  if (out.network.measured) {
    fit_efficiency(network, profile, &CP::network_collectives, options, "network", out.network);
  }

  // The simulator's view: the algorithm its cost model chooses, on the fitted profile.
  const CollectiveCostModel model(profile);
  std::vector<double> predicted, measured;
  for (const auto& g : model_groups) {
    for (std::size_t i = 0; i < g.bytes.size(); ++i) {
      const auto algo = model.choose(g.kind, g.shape, g.bytes[i]);
      predicted.push_back(model.predicted_time_s(g.kind, algo, g.shape, g.bytes[i]));
      measured.push_back(g.times[i]);
    }
  }
  out.simulated_rms_relative_error = rms_relative_error(predicted, measured);
  return out;
}

void apply_collective_fit(const CollectiveFit& fit, ClusterProfile& cluster) {
  if (fit.nvlink.measured) cluster.nvlink_collectives = fit.nvlink.tuning;
  if (fit.nvls.measured) cluster.nvls_collectives = fit.nvls.tuning;
  if (fit.network.measured) cluster.network_collectives = fit.network.tuning;
}

}  // namespace ptsim
