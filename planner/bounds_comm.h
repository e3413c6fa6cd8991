// Contention-free communication times for the planner's bounds: the collective (or transfer) the
// simulator would run, laid out on the topology by the same CollectiveFlows, timed as if nothing
// else used the network: per phase, latency + bytes / min over its links (capacity / weight).
// Sharing links with other flows or with symmetric replica groups (reduced graphs) only lowers a
// flow's rate, so the simulated time is never below this.
#pragma once

#include <map>
#include <tuple>
#include <vector>

#include "cost_models/collective_cost.h"
#include "planner/bounds_layer.h"
#include "sim/network/collective_flows.h"
#include "sim/network/topology.h"
#include "sim/workload/rank_layout.h"

namespace ptsim {

double contention_free_s(const CollectivePlan& plan, const Topology& topology);

// Not thread safe (it caches collective times by group shape); the planner's bounds run on one
// thread.
class CommBounds {
 public:
  CommBounds(const ClusterProfile& cluster, const Topology& topology);
  CommBounds(const CommBounds&) = delete;
  CommBounds& operator=(const CommBounds&) = delete;

  // `rate_cap_bytes_per_s`: the issuing software's cap on the bytes each rank moves per second
  // (Collective::rate_cap_bytes_per_s); 0 = none. `dedup`: an all-to-all whose items travel once
  // per destination domain (DeepEP's dispatch and combine; Collective::dedup), as the builder
  // issues it. Timed once per group shape (group_signature from its first member) and size: the
  // many layouts the planner bounds share a few shapes.
  double collective_s(CollectiveKind kind, const std::vector<int>& members, double bytes,
                      double rate_cap_bytes_per_s = 0, DomainDedup dedup = {}) const;
  double transfer_s(int src, int dst, double bytes) const;

  // The blocking communication of a configuration's layers, the minimum over the pipeline ranks'
  // representatives (the ranks a reduced graph simulates).
  BlockingCommTimes blocking(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p,
                             const RankShapes& s, const RankLayout& layout) const;

  // ZeRO-3 traffic of one layer: the all-gather of its parameters (dense part over data x context
  // parallel ranks, then the expert part over expert-data-parallel ranks; at the on-demand cap
  // when p gathers on demand) and the reduce-scatter of its gradients; minimum over pipeline ranks.
  struct Zero3Layer {
    double gather_s = 0;
    double reduce_s = 0;
  };
  Zero3Layer zero3_layer(const ParallelConfig& p, const RankLayout& layout, double dense_params,
                         double expert_params) const;

  // Point-to-point transfer of `bytes` between the representatives of two pipeline ranks.
  double pipeline_transfer_s(const RankLayout& layout, int from_stage, int to_stage,
                             double bytes) const;

 private:
  const Topology& topology_;
  CollectiveCostModel cost_;
  CollectiveFlows flows_;
  using ShapeKey =
      std::tuple<CollectiveKind, double, double, std::uint32_t, std::uint32_t, std::vector<int>>;
  mutable std::map<ShapeKey, double> collective_by_shape_;
};

// Where a group sits on the topology relative to `origin`: per member its node, domain and
// scalable-unit offsets and its rail. Groups with equal signatures have equal contention-free
// times (the fabric looks the same from every node), so the bounds time each shape once.
std::vector<int> group_signature(const Topology& topology, const std::vector<int>& group,
                                 int origin);

}  // namespace ptsim
