#include "cost_models/collective_cost.h"

#include <algorithm>
#include <array>
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

using Protocol = CollectiveCostModel::Protocol;
constexpr std::array<Protocol, 3> kProtocols = {Protocol::ll, Protocol::ll128, Protocol::simple};

// NCCL tuning.cc (2.28/2.30), ring: base latency (LL, LL128, Simple) 6.6 / 14.0 / 8.4 us;
// per-step hardware latency on NVLink 0.6 / 1.9 / 3.4 us, on the network 2.7 / 4.0 / 14.0 us.
// Expressed as ratios to Simple, which the profile states.
double base_ratio(Protocol p) {
  switch (p) {
    case Protocol::ll:
      return 6.6 / 8.4;
    case Protocol::ll128:
      return 14.0 / 8.4;
    case Protocol::simple:
      return 1.0;
  }
  return 1.0;
}
double nvlink_step_ratio(Protocol p) {
  return p == Protocol::ll ? 0.6 / 3.4 : p == Protocol::ll128 ? 1.9 / 3.4 : 1.0;
}
double network_step_ratio(Protocol p) {
  return p == Protocol::ll ? 2.7 / 14.0 : p == Protocol::ll128 ? 4.0 / 14.0 : 1.0;
}
// LL carries 8 bytes of data per 16-byte line; LL128 120 of 128 bytes (tuning.cc).
double bandwidth_factor(Protocol p) {
  return p == Protocol::ll ? 0.5 : p == Protocol::ll128 ? 0.92 : 1.0;
}

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
      return algo == CollectiveAlgorithm::ring || (algo == CollectiveAlgorithm::tree && multi) ||
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

double CollectiveCostModel::ring_latency_s(int ranks, int domains, int factor,
                                           Protocol protocol) const {
  // NCCL: (steps - inter-domain steps) intra steps + inter-domain steps network steps.
  const int steps = factor * (ranks - 1);
  const int inter = domains > 1 ? factor * (domains - 1) : 0;
  return (steps - inter) * cluster_.nvlink_collectives.step_latency_s *
             nvlink_step_ratio(protocol) +
         inter * cluster_.network_collectives.step_latency_s * network_step_ratio(protocol);
}

double CollectiveCostModel::latency_s(CollectiveKind kind, CollectiveAlgorithm algo,
                                      const GroupShape& g) const {
  const bool multi = g.domains > 1;
  const auto& base = multi ? cluster_.network_collectives : cluster_.nvlink_collectives;
  switch (algo) {
    case CollectiveAlgorithm::ring:
      return base.base_latency_s +
             ring_latency_s(g.ranks, g.domains, kind == CollectiveKind::all_reduce ? 2 : 1);
    case CollectiveAlgorithm::tree:
      return base.base_latency_s +
             2 * (std::ceil(std::log2(static_cast<double>(g.domains))) *
                      cluster_.network_collectives.step_latency_s +
                  (g.ranks_per_domain - 1) * cluster_.nvlink_collectives.step_latency_s);
    case CollectiveAlgorithm::nvls:
      return cluster_.nvls_collectives.base_latency_s + cluster_.nvls_collectives.step_latency_s;
    case CollectiveAlgorithm::hierarchical:
      return 2 * (cluster_.nvlink_collectives.base_latency_s +
                  ring_latency_s(g.ranks_per_domain, 1, 1)) +
             cluster_.network_collectives.base_latency_s + ring_latency_s(g.domains, g.domains, 2);
    case CollectiveAlgorithm::pairwise:
      return base.base_latency_s +
             (g.ranks - 1) * (multi ? cluster_.network_collectives : cluster_.nvlink_collectives)
                                 .step_latency_s;
    case CollectiveAlgorithm::direct:
      return base.base_latency_s + base.step_latency_s;
  }
  return 0;
}

double CollectiveCostModel::efficiency(CollectiveAlgorithm algo, const GroupShape& g,
                                       double bytes) const {
  const double s = std::max(bytes, 1.0);
  if (algo == CollectiveAlgorithm::nvls) {
    return cluster_.nvls_collectives.bus_bandwidth_efficiency.at(s);
  }
  const auto& t = g.domains > 1 ? cluster_.network_collectives : cluster_.nvlink_collectives;
  return t.bus_bandwidth_efficiency.at(s);
}

CollectiveCostModel::Cost CollectiveCostModel::ring_phase_cost(
    int ranks, int domains, int factor, double hop_bytes, double bandwidth, double size_bytes,
    bool include_base, std::optional<Protocol> forced) const {
  const GroupShape g{ranks, domains, 1};
  const double eff = efficiency(CollectiveAlgorithm::ring, g, size_bytes);
  const auto& base = domains > 1 ? cluster_.network_collectives : cluster_.nvlink_collectives;
  Cost best{std::numeric_limits<double>::infinity(), eff};
  double best_time = std::numeric_limits<double>::infinity();
  for (Protocol p : kProtocols) {
    if (forced && p != *forced) continue;
    const double lat = (include_base ? base.base_latency_s * base_ratio(p) : 0.0) +
                       ring_latency_s(ranks, domains, factor, p);
    const double e = eff * bandwidth_factor(p);
    const double t = lat + hop_bytes / (bandwidth * e);
    if (t < best_time) {
      best_time = t;
      best = Cost{lat, e};
    }
  }
  return best;
}

CollectiveCostModel::Cost CollectiveCostModel::p2p_cost(bool crosses_domains, double bytes) const {
  const auto& t = crosses_domains ? cluster_.network_collectives : cluster_.nvlink_collectives;
  const double bw =
      crosses_domains ? cluster_.nic_bandwidth_bytes_per_s : cluster_.nvlink_bandwidth_bytes_per_s;
  const double eff = t.bus_bandwidth_efficiency.at(std::max(bytes, 1.0));
  Cost best{0, eff};
  double best_time = std::numeric_limits<double>::infinity();
  for (Protocol p : kProtocols) {
    const double step = crosses_domains ? network_step_ratio(p) : nvlink_step_ratio(p);
    const double lat = t.base_latency_s * base_ratio(p) + t.step_latency_s * step;
    const double e = eff * bandwidth_factor(p);
    const double time = lat + bytes / (bw * e);
    if (time < best_time) {
      best_time = time;
      best = Cost{lat, e};
    }
  }
  return best;
}

CollectiveCostModel::Cost CollectiveCostModel::cost(CollectiveKind kind, CollectiveAlgorithm algo,
                                                    const GroupShape& g, double bytes,
                                                    std::optional<Protocol> forced) const {
  const double nvl = cluster_.nvlink_bandwidth_bytes_per_s;
  const double nic = cluster_.nic_bandwidth_bytes_per_s;
  const double gpd = std::max(1, g.ranks_per_domain);
  const bool multi = g.domains > 1;
  const double ring_bw = multi ? std::min(nvl, gpd * nic) : nvl;
  const auto& base = multi ? cluster_.network_collectives : cluster_.nvlink_collectives;
  const double eff = efficiency(algo, g, bytes);
  switch (algo) {
    case CollectiveAlgorithm::ring:
      return ring_phase_cost(g.ranks, g.domains, kind == CollectiveKind::all_reduce ? 2 : 1,
                             ring_factor(kind, g.ranks) * bytes, ring_bw, bytes, true, forced);
    case CollectiveAlgorithm::tree: {
      Cost best{0, eff};
      double best_time = std::numeric_limits<double>::infinity();
      for (Protocol p : kProtocols) {
        if (forced && p != *forced) continue;
        const double lat =
            base.base_latency_s * base_ratio(p) +
            2 * (std::ceil(std::log2(static_cast<double>(g.domains))) *
                     cluster_.network_collectives.step_latency_s * network_step_ratio(p) +
                 (g.ranks_per_domain - 1) * cluster_.nvlink_collectives.step_latency_s *
                     nvlink_step_ratio(p));
        const double e = eff * bandwidth_factor(p);
        const double t = lat + ring_factor(kind, g.ranks) * bytes / (ring_bw * e);
        if (t < best_time) {
          best_time = t;
          best = Cost{lat, e};
        }
      }
      return best;
    }
    case CollectiveAlgorithm::nvls:
      return Cost{latency_s(kind, algo, g), eff};  // Simple protocol only
    case CollectiveAlgorithm::pairwise:
    case CollectiveAlgorithm::direct: {
      Cost best{0, eff};
      double best_time = std::numeric_limits<double>::infinity();
      const int steps = algo == CollectiveAlgorithm::pairwise ? g.ranks - 1 : 1;
      for (Protocol p : kProtocols) {
        if (forced && p != *forced) continue;
        const double step = multi ? network_step_ratio(p) : nvlink_step_ratio(p);
        const double lat = base.base_latency_s * base_ratio(p) + steps * base.step_latency_s * step;
        const double e = eff * bandwidth_factor(p);
        const double t = lat + bytes / ((multi ? nic : nvl) * e);
        if (t < best_time) {
          best_time = t;
          best = Cost{lat, e};
        }
      }
      return best;
    }
    case CollectiveAlgorithm::hierarchical:
      return Cost{latency_s(kind, algo, g), eff};  // phases priced one by one by the flows
  }
  return Cost{0, eff};
}

double CollectiveCostModel::predicted_time_s(CollectiveKind kind, CollectiveAlgorithm algo,
                                             const GroupShape& g, double bytes,
                                             std::optional<Protocol> forced) const {
  if (g.ranks <= 1 && kind != CollectiveKind::ring_shift) return 0;
  const double nvl = cluster_.nvlink_bandwidth_bytes_per_s;
  const double nic = cluster_.nic_bandwidth_bytes_per_s;
  const double gpd = std::max(1, g.ranks_per_domain);
  const bool multi = g.domains > 1;
  const double ring_bw = multi ? std::min(nvl, gpd * nic) : nvl;
  switch (algo) {
    case CollectiveAlgorithm::ring:
    case CollectiveAlgorithm::tree: {
      const Cost c = cost(kind, algo, g, bytes, forced);
      return c.latency_s + ring_factor(kind, g.ranks) * bytes / (ring_bw * c.efficiency);
    }
    case CollectiveAlgorithm::nvls: {
      const Cost c = cost(kind, algo, g, bytes, forced);
      return c.latency_s + bytes / (nvl * c.efficiency);
    }
    case CollectiveAlgorithm::hierarchical: {
      const double f_in = ring_factor(CollectiveKind::reduce_scatter, g.ranks_per_domain);
      const Cost intra =
          ring_phase_cost(g.ranks_per_domain, 1, 1, f_in * bytes, nvl, bytes, true, forced);
      const double inter_hop = ring_factor(CollectiveKind::all_reduce, g.domains) * bytes / gpd;
      const Cost inter =
          ring_phase_cost(g.domains, g.domains, 2, inter_hop, nic, bytes, true, forced);
      return 2 * (intra.latency_s + f_in * bytes / (nvl * intra.efficiency)) + inter.latency_s +
             inter_hop / (nic * inter.efficiency);
    }
    case CollectiveAlgorithm::pairwise: {
      const Cost c = cost(kind, algo, g, bytes, forced);
      const double n = g.ranks;
      const double inside = (gpd - 1) / n * bytes;
      const double outside = (n - gpd) / n * bytes;
      return c.latency_s +
             std::max(inside / (nvl * c.efficiency), multi ? outside / (nic * c.efficiency) : 0.0);
    }
    case CollectiveAlgorithm::direct: {
      const Cost c = cost(kind, algo, g, bytes, forced);
      return c.latency_s + bytes / ((multi ? nic : nvl) * c.efficiency);
    }
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
