// Collectives as flows on the topology: the algorithm the collective cost model picks, laid out on
// the links the group actually spans, as phases of one flow each.
//
// A phase's flow moves `bytes` of progress (the bytes one rank forwards per hop, divided by the
// bus-bandwidth efficiency at this size); on each link it consumes weight x rate, the weight being
// the number of hops (or hop shares) crossing that link. So a ring all-reduce of S over n ranks in
// one NVSwitch domain is one flow of 2(n-1)/n S / eff bytes with weight 1 on each GPU's up and down
// NVLink: alone it takes 2(n-1)/n S / (B eff), Thakur et al.'s bandwidth term. Across domains the
// boundary hop is split over the g rails of the group's GPUs (NCCL runs a ring channel per NIC), so
// each rail link carries weight 1/g. Latency (cost model) is paid before a phase's transfer.
//
// Reduced graphs: a collective of a representative rank stands for its replica groups too
// (graph.h); their link uses are added to the flow's weights on the links the representative's
// group uses, so a link shared by r symmetric groups carries r times the load. Links that only
// replicas use are dropped: by symmetry they carry the same load as one the representative uses.
//
// Validated by tests/simulator/collective_flows_test.cc (closed forms on the topology: ring
// all-reduce, all-gather, reduce-scatter, hierarchical all-reduce, pairwise all-to-all, two flows
// on one link each at half bandwidth).
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "cost_models/collective_cost.h"
#include "sim/network/link_sharing.h"
#include "sim/network/topology.h"

namespace ptsim {

struct FlowPhase {
  std::vector<LinkUse> uses;  // merged, sorted by link
  double bytes = 0;           // progress bytes (per-hop bytes / efficiency)
  double latency_s = 0;       // paid before the transfer
  // The fastest the flow may progress whatever the links allow: a software ceiling on the per-hop
  // bytes per second (Collective::rate_cap_bytes_per_s), in progress bytes.
  double rate_bound_bytes_per_s = std::numeric_limits<double>::infinity();
};

struct CollectivePlan {
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::ring;
  std::vector<FlowPhase> phases;  // empty: nothing to move (a group of one)
};

class CollectiveFlows {
 public:
  CollectiveFlows(const Topology& topology, const CollectiveCostModel& cost)
      : topology_(topology), cost_(cost) {}

  GroupShape shape(std::span<const int> members) const;

  // `members` are GPU (global rank) ids; `replicas` groups of the same size whose identical
  // collective runs at the same time (reduced graphs; empty otherwise).
  // `dedup` (all-to-all only) sends each item once per destination domain: see plan_dedup.
  // `rate_cap_bytes_per_s` > 0 bounds each phase's per-hop bytes per second (graph.h Collective).
  CollectivePlan plan(CollectiveKind kind, std::span<const int> members,
                      std::span<const std::vector<int>> replicas, double bytes,
                      DomainDedup dedup = {}, double rate_cap_bytes_per_s = 0) const;

  // A point-to-point transfer src -> dst, with replica pairs (reduced graphs).
  CollectivePlan plan_transfer(int src, int dst, std::span<const std::pair<int, int>> replicas,
                               double bytes) const;

 private:
  // Link uses of one algorithm phase for one group (unmerged).
  void ring_uses(std::span<const int> ring, std::vector<LinkUse>& out) const;
  void phase_uses(CollectiveKind kind, CollectiveAlgorithm algo, int phase,
                  std::span<const int> members, std::vector<LinkUse>& out) const;
  std::vector<int> ring_order(std::span<const int> members) const;
  // Domain-deduplicated all-to-all across domains (DeepEP's dispatch and combine): each member
  // sends an item once to its rail peer (same index) in every other domain that holds one of the
  // item's destination slots, with probability domain_hit_probability of that domain's slots, and
  // every domain exchanges pairwise over NVLink what arrived for its members. Both run at once
  // (tokens are forwarded over NVLink as they arrive), as one flow: bytes/copies per member times
  // the expected number of remote domains hit on the rails, `bytes` pairwise inside each domain.
  CollectivePlan plan_dedup(std::span<const int> members,
                            std::span<const std::vector<int>> replicas, double bytes,
                            DomainDedup dedup) const;
  void dedup_inter_uses(std::span<const int> members, DomainDedup dedup,
                        std::vector<LinkUse>& out) const;
  void dedup_intra_uses(std::span<const int> members, std::vector<LinkUse>& out) const;

  const Topology& topology_;
  const CollectiveCostModel& cost_;
};

// Sorts by link and sums the weights of repeated links.
void merge_link_uses(std::vector<LinkUse>& uses);

}  // namespace ptsim
