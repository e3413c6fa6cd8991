// Collective algorithms and their cost on a cluster, in the manner of NCCL's tuner
// (src/graph/tuning.cc: time = latency + bytes / bandwidth per algorithm; the algorithm with the
// smallest predicted time wins; CALIBRATION_NOTES section 2).
//
// A group is described by its shape on the cluster: n ranks over `domains` NVLink domains with g
// ranks in each. Per algorithm (Thakur et al. 2005 and NCCL, CALIBRATION_NOTES 3.1-3.3):
//   ring (all-reduce, all-gather, reduce-scatter, broadcast): every rank forwards h bytes to its
//     successor, h = 2(n-1)/n S (all-reduce), (n-1)/n S (all-gather, reduce-scatter), S
//     (broadcast); across domains NCCL runs one ring channel per NIC, so each domain boundary is
//     crossed on g rails at once: bottleneck bandwidth min(B_nvlink, g B_nic);
//     2(n-1) (all-reduce) or n-1 steps of latency;
//   tree (all-reduce across domains): ring's bandwidth, 2 (log2(domains) + g - 1) steps;
//   nvls (all-reduce inside one NVSwitch domain with NVLink SHARP): each GPU sends S up and
//     receives S down; one step;
//   hierarchical (all-reduce across domains): reduce-scatter in the domain, all-reduce of S/g on
//     each rail across domains, all-gather in the domain (ASTRA-sim's multi-dimensional
//     decomposition; NCCL's NVLSTree is its NVLS form);
//   pairwise (all-to-all): each rank sends S/n to every other; data leaving the domain goes out on
//     the rail of its destination (PXN), so the domain's g NICs carry it;
//   direct (ring shift, point-to-point): one hop per rank.
// Time = base latency + steps x step latency (NVLink or network, per step) + h / (B x
// efficiency(S) x protocol bandwidth factor), the efficiency read from the profile's bus-bandwidth
// table of the link class the algorithm's bottleneck sits on.
//
// Protocols (NCCL src/graph/tuning.cc, CALIBRATION_NOTES 2.1-2.2): NCCL runs each algorithm with
// one of LL (low latency, half the bandwidth), LL128 (92% of the bandwidth) or Simple (full
// bandwidth, the highest per-step latency), picking the fastest for the size. The profile's
// base_latency_s and step_latency_s are the Simple protocol's for its link class; LL and LL128 take
// NCCL's ratios to Simple for that link class (ring on NVLink 0.6 / 1.9 / 3.4 us per step, on the
// network 2.7 / 4.0 / 14 us; base 6.6 / 14 / 8.4 us). The efficiency table is the residual
// efficiency of the Simple protocol at large sizes (e.g. 370 of 450 GB/s on H100 NVLink): the
// latency makes small collectives slow, not the table. NVLS runs the Simple protocol only.
//
// The simulator decomposes the chosen algorithm into flows on the topology
// (sim/network/collective_flows.h), where contention changes the bandwidth; this file's
// predicted_time_s() is the contention-free time, also a lower bound the planner uses.
// Validated through the flows that run it (tests/simulator/collective_flows_test.cc: ring
// all-reduce 2(n-1)/n S/B + 2(n-1) alpha, all-gather, reduce-scatter, hierarchical closed forms and
// the algorithm chosen for each; tests/network/ring_on_fabric_test.cc: rings on the fat tree).
#pragma once

#include <cstdint>
#include <optional>

#include "cost_models/collective_kind.h"
#include "hardware_profiles/cluster_profile.h"

namespace ptsim {

enum class CollectiveAlgorithm : std::uint8_t { ring, tree, nvls, hierarchical, pairwise, direct };
const char* collective_algorithm_name(CollectiveAlgorithm a);

struct GroupShape {
  int ranks = 1;
  int domains = 1;           // NVLink domains the group spans
  int ranks_per_domain = 1;  // g (the largest count when uneven)
};

class CollectiveCostModel {
 public:
  explicit CollectiveCostModel(const ClusterProfile& cluster) : cluster_(cluster) {}

  bool applicable(CollectiveKind kind, CollectiveAlgorithm algo, const GroupShape& g) const;
  // The algorithm NCCL would pick: the applicable one with the smallest predicted time.
  CollectiveAlgorithm choose(CollectiveKind kind, const GroupShape& g, double bytes) const;
  enum class Protocol : std::uint8_t { ll, ll128, simple };
  // Contention-free time of one algorithm, at the fastest protocol or at `forced`.
  double predicted_time_s(CollectiveKind kind, CollectiveAlgorithm algo, const GroupShape& g,
                          double bytes, std::optional<Protocol> forced = std::nullopt) const;
  // The parts of predicted_time_s at the protocol NCCL would pick for this size: latency, and
  // bandwidth efficiency (table efficiency x protocol factor).
  struct Cost {
    double latency_s = 0;
    double efficiency = 1;
  };
  Cost cost(CollectiveKind kind, CollectiveAlgorithm algo, const GroupShape& g, double bytes,
            std::optional<Protocol> forced = std::nullopt) const;
  // Simple-protocol latency (the profile's figures) and the table efficiency, without protocol
  // choice.
  double latency_s(CollectiveKind kind, CollectiveAlgorithm algo, const GroupShape& g) const;
  double efficiency(CollectiveAlgorithm algo, const GroupShape& g, double bytes) const;
  // Latency of a ring phase (steps on NVLink and on the network) under a protocol, and the cost
  // of one hierarchical phase, for the simulator's phase-by-phase flows.
  double ring_latency_s(int ranks, int domains, int steps_per_rank_factor,
                        Protocol protocol = Protocol::simple) const;
  Cost ring_phase_cost(int ranks, int domains, int factor, double hop_bytes, double bandwidth,
                       double size_bytes, bool include_base,
                       std::optional<Protocol> forced = std::nullopt) const;
  // Point-to-point transfer cost (base + one step of the link class, protocol by size).
  Cost p2p_cost(bool crosses_domains, double bytes) const;

  const ClusterProfile& cluster() const { return cluster_; }

 private:
  const ClusterProfile& cluster_;
};

}  // namespace ptsim
