#include "cost_models/collective_cost.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/check.h"

namespace ptsim {

const char* collective_algorithm_name(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::ring:
      return "ring";
    case CollectiveAlgorithm::tree:
      return "tree";
    case CollectiveAlgorithm::nvls:
      return "nvls";
    case CollectiveAlgorithm::hierarchical:
      return "hierarchical";
    case CollectiveAlgorithm::pairwise:
      return "pairwise";
    case CollectiveAlgorithm::direct:
      return "direct";
  }
  return "?";
}

namespace {

double ring_factor(CollectiveKind kind, int n) {
  const double f = static_cast<double>(n - 1) / n;
  switch (kind) {
    case CollectiveKind::all_reduce:
      return 2 * f;
    case CollectiveKind::all_gather:
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::all_to_all:
      return f;
    case CollectiveKind::broadcast:
    case CollectiveKind::ring_shift:
      return 1;
  }
  return 1;
}

}  // namespace

bool CollectiveCostModel::applicable(CollectiveKind kind, CollectiveAlgorithm algo,
                                     const GroupShape& g) const {
  const bool multi = g.domains > 1;
  switch (kind) {
    case CollectiveKind::all_reduce:
      return algo == CollectiveAlgorithm::ring ||
             (algo == CollectiveAlgorithm::tree && multi) ||
             (algo == CollectiveAlgorithm::nvls && !multi && cluster_.nvls && g.ranks > 2) ||
             (algo == CollectiveAlgorithm::hierarchical && multi && g.ranks_per_domain > 1);
    case CollectiveKind::all_gather:
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::broadcast:
      return algo == CollectiveAlgorithm::ring;
    case CollectiveKind::all_to_all:
      return algo == CollectiveAlgorithm::pairwise;
    case CollectiveKind::ring_shift:
      return algo == CollectiveAlgorithm::direct;
  }
  return false;
}

double CollectiveCostModel::ring_latency_s(int ranks, int domains, int factor) const {
  // NCCL: (steps - inter-domain steps) intra steps + inter-domain steps network steps.
  const int steps = factor * (ranks - 1);
  const int inter = domains > 1 ? factor * (domains - 1) : 0;
  return (steps - inter) * cluster_.nvlink_collectives.step_latency_s +
         inter * cluster_.network_collectives.step_latency_s;
}

double CollectiveCostModel::p2p_latency_s(bool crosses_domains) const {
  const auto& t = crosses_domains ? cluster_.network_collectives : cluster_.nvlink_collectives;
  return t.base_latency_s + t.step_latency_s;
}

double CollectiveCostModel::latency_s(CollectiveKind kind, CollectiveAlgorithm algo,
                                      const GroupShape& g) const {
  const bool multi = g.domains > 1;
  const auto& base = (multi ? cluster_.network_collectives : cluster_.nvlink_collectives);
  switch (algo) {
    case CollectiveAlgorithm::ring: {
      const int factor = kind == CollectiveKind::all_reduce ? 2 : 1;
      return base.base_latency_s + ring_latency_s(g.ranks, g.domains, factor);
    }
    case CollectiveAlgorithm::tree:
      return base.base_latency_s +
             2 * (std::ceil(std::log2(static_cast<double>(g.domains))) *
                      cluster_.network_collectives.step_latency_s +
                  (g.ranks_per_domain - 1) * cluster_.nvlink_collectives.step_latency_s);
    case CollectiveAlgorithm::nvls:
      return cluster_.nvls_collectives.base_latency_s + cluster_.nvls_collectives.step_latency_s;
    case CollectiveAlgorithm::hierarchical:
      return cluster_.nvlink_collectives.base_latency_s +
             ring_latency_s(g.ranks_per_domain, 1, 1) +
             cluster_.network_collectives.base_latency_s +
             ring_latency_s(g.domains, g.domains, 2) + ring_latency_s(g.ranks_per_domain, 1, 1);
    case CollectiveAlgorithm::pairwise:
      return base.base_latency_s + (g.ranks - 1) * (multi ? cluster_.network_collectives
                                                          : cluster_.nvlink_collectives)
                                                       .step_latency_s;
    case CollectiveAlgorithm::direct:
      return p2p_latency_s(multi);
  }
  return 0;
}

double CollectiveCostModel::efficiency(CollectiveAlgorithm algo, const GroupShape& g,
                                       double bytes) const {
  const double s = std::max(bytes, 1.0);
  if (algo == CollectiveAlgorithm::nvls) return cluster_.nvls_collectives.bus_bandwidth_efficiency.at(s);
  const auto& t = g.domains > 1 ? cluster_.network_collectives : cluster_.nvlink_collectives;
  return t.bus_bandwidth_efficiency.at(s);
}

double CollectiveCostModel::predicted_time_s(CollectiveKind kind, CollectiveAlgorithm algo,
                                             const GroupShape& g, double bytes) const {
  if (g.ranks <= 1 && kind != CollectiveKind::ring_shift) return 0;
  const double nvl = cluster_.nvlink_bandwidth_bytes_per_s;
  const double nic = cluster_.nic_bandwidth_bytes_per_s;
  const double gpd = std::max(1, g.ranks_per_domain);
  const bool multi = g.domains > 1;
  // Bottleneck per-rank bandwidth of a ring across domains: NVLink inside, g rails between.
  const double ring_bw = multi ? std::min(nvl, gpd * nic) : nvl;
  const double lat = latency_s(kind, algo, g);
  const double eff = efficiency(algo, g, bytes);
  switch (algo) {
    case CollectiveAlgorithm::ring:
    case CollectiveAlgorithm::tree:
      return lat + ring_factor(kind, g.ranks) * bytes / (ring_bw * eff);
    case CollectiveAlgorithm::nvls:
      return lat + bytes / (nvl * eff);
    case CollectiveAlgorithm::hierarchical: {
      const GroupShape inner{g.ranks_per_domain, 1, g.ranks_per_domain};
      const double e_in = efficiency(CollectiveAlgorithm::ring, inner, bytes);
      const double intra = 2 * ring_factor(CollectiveKind::reduce_scatter, g.ranks_per_domain) *
                           bytes / (nvl * e_in);
      const double inter = ring_factor(CollectiveKind::all_reduce, g.domains) * (bytes / gpd) /
                           (nic * eff);
      return lat + intra + inter;
    }
    case CollectiveAlgorithm::pairwise: {
      // Share of S that stays in the domain (over NVLink) and that leaves it (over the NICs).
      const double n = g.ranks;
      const double inside = (gpd - 1) / n * bytes;
      const double outside = (n - gpd) / n * bytes;
      return lat + std::max(inside / (nvl * eff), multi ? outside / (nic * eff) : 0.0);
    }
    case CollectiveAlgorithm::direct:
      return lat + bytes / ((multi ? nic : nvl) * eff);
  }
  return 0;
}

CollectiveAlgorithm CollectiveCostModel::choose(CollectiveKind kind, const GroupShape& g,
                                                double bytes) const {
  CollectiveAlgorithm best = CollectiveAlgorithm::ring;
  double best_time = std::numeric_limits<double>::infinity();
  for (auto algo : {CollectiveAlgorithm::ring, CollectiveAlgorithm::tree, CollectiveAlgorithm::nvls,
                    CollectiveAlgorithm::hierarchical, CollectiveAlgorithm::pairwise,
                    CollectiveAlgorithm::direct}) {
    if (!applicable(kind, algo, g)) continue;
    const double t = predicted_time_s(kind, algo, g, bytes);
    if (t < best_time) {  // strict: ties keep the earlier (simpler) algorithm
      best_time = t;
      best = algo;
    }
  }
  PTSIM_CHECK(best_time < std::numeric_limits<double>::infinity(),
              "no collective algorithm applies");
  return best;
}

}  // namespace ptsim
