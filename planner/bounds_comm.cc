#include "planner/bounds_comm.h"

#include <algorithm>
#include <limits>
#include <set>

#include "sim/workload/parallel_config.h"
#include "sim/workload/rank_shapes.h"

namespace ptsim {

double contention_free_s(const CollectivePlan& plan, const Topology& topology) {
  double total = 0;
  for (const FlowPhase& phase : plan.phases) {
    // A cap the issuing software puts on the phase (rate_bound_bytes_per_s) binds in the
    // simulator as well, shared or alone.
    double rate = phase.rate_bound_bytes_per_s;
    for (const LinkUse& use : phase.uses) {
      if (use.weight <= 0) continue;
      rate = std::min(rate, topology.link(use.link).capacity_bytes_per_s / use.weight);
    }
    total += phase.latency_s;
    if (phase.bytes > 0 && rate < std::numeric_limits<double>::infinity() && rate > 0)
      total += phase.bytes / rate;
  }
  return total;
}

CommBounds::CommBounds(const ClusterProfile& cluster, const Topology& topology)
    : topology_(topology), cost_(cluster), flows_(topology, cost_) {}

double CommBounds::collective_s(CollectiveKind kind, const std::vector<int>& members, double bytes,
                                double rate_cap_bytes_per_s, DomainDedup dedup) const {
  if (members.size() < 2 || bytes <= 0) return 0.0;
  ShapeKey key{kind,         bytes,       rate_cap_bytes_per_s,
               dedup.copies, dedup.slots, group_signature(topology_, members, members.front())};
  if (auto it = collective_by_shape_.find(key); it != collective_by_shape_.end()) return it->second;
  const double t = contention_free_s(
      flows_.plan(kind, members, {}, bytes, dedup, rate_cap_bytes_per_s), topology_);
  collective_by_shape_.emplace(std::move(key), t);
  return t;
}

double CommBounds::transfer_s(int src, int dst, double bytes) const {
  if (src == dst || bytes <= 0) return 0.0;
  return contention_free_s(flows_.plan_transfer(src, dst, {}, bytes), topology_);
}

std::vector<int> group_signature(const Topology& topology, const std::vector<int>& group,
                                 int origin) {
  std::vector<int> sig;
  sig.reserve(group.size() * 4 + 1);
  sig.push_back(topology.rail_of(origin));
  for (int g : group) {
    sig.push_back(topology.node_of(g) - topology.node_of(origin));
    sig.push_back(topology.domain_of(g) - topology.domain_of(origin));
    sig.push_back(topology.unit_of(g) - topology.unit_of(origin));
    sig.push_back(topology.rail_of(g));
  }
  return sig;
}

CommBounds::Zero3Layer CommBounds::zero3_layer(const ParallelConfig& p, const RankLayout& layout,
                                               double dense_params, double expert_params) const {
  Zero3Layer best;
  bool first = true;
  std::set<std::vector<int>> seen;
  for (int stage = 0; stage < p.pp; ++stage) {
    const int rep = layout.rank_of(0, 0, 0, stage);
    const std::vector<int> g = p.dp * p.cp > 1 ? layout.dp_cp_group_of(rep) : std::vector<int>{};
    const std::vector<int> e =
        p.expert_dp() > 1 && expert_params > 0 ? layout.edp_group_of(rep) : std::vector<int>{};
    std::vector<int> sig = group_signature(topology_, g, rep);
    const auto esig = group_signature(topology_, e, rep);
    sig.push_back(-1000000);
    sig.insert(sig.end(), esig.begin(), esig.end());
    if (!seen.insert(std::move(sig)).second) continue;
    Zero3Layer z;
    // The builder caps on-demand gathers at the throughput DeepSpeed's per-parameter gathering
    // reached (parallel_config.h); the same cap here.
    const double cap = p.zero3_gather == Zero3Gather::on_demand ? kOnDemandGatherBytesPerS : 0.0;
    z.gather_s = collective_s(CollectiveKind::all_gather, g, 2.0 * dense_params, cap) +
                 collective_s(CollectiveKind::all_gather, e, 2.0 * expert_params, cap);
    z.reduce_s = collective_s(CollectiveKind::reduce_scatter, g, 2.0 * dense_params) +
                 collective_s(CollectiveKind::reduce_scatter, e, 2.0 * expert_params);
    if (first) {
      best = z;
    } else {
      best.gather_s = std::min(best.gather_s, z.gather_s);
      best.reduce_s = std::min(best.reduce_s, z.reduce_s);
    }
    first = false;
  }
  return best;
}

double CommBounds::pipeline_transfer_s(const RankLayout& layout, int from_stage, int to_stage,
                                       double bytes) const {
  return transfer_s(layout.rank_of(0, 0, 0, from_stage), layout.rank_of(0, 0, 0, to_stage), bytes);
}

BlockingCommTimes CommBounds::blocking(const ModelSpec& m, const TrainingConfig& t,
                                       const ParallelConfig& p, const RankShapes& s,
                                       const RankLayout& layout) const {
  const double h = m.hidden;
  const double residual = s.tokens_tp * h * 2.0;
  const double qkv_bytes =
      s.tokens_tp *
      (s.heads_local * s.head_dim_qk + s.kv_heads_local * (s.head_dim_qk + s.head_dim_v)) * 2.0;
  const double out_bytes = s.tokens_tp * s.heads_local * s.head_dim_v * 2.0;
  const double kv_bytes = s.tokens_tp * s.kv_heads_local * (s.head_dim_qk + s.head_dim_v) * 2.0;
  double a2a_bytes = 0, etp_bytes = 0;
  if (m.is_moe()) {
    const double load =
        t.moe_capacity_factor > 0 ? t.moe_capacity_factor : std::max(1.0, t.moe_imbalance);
    a2a_bytes = s.routed_tokens_sent * h * 2.0 * load;
    etp_bytes = s.routed_tokens_sent * p.etp * h * 2.0;
  }

  BlockingCommTimes out;
  bool first = true;
  std::set<std::vector<int>> seen;
  auto keep_min = [&](double& field, double value) {
    field = first ? value : std::min(field, value);
  };
  for (int stage = 0; stage < p.pp; ++stage) {
    const int rep = layout.rank_of(0, 0, 0, stage);
    // The groups of this stage's representative (empty where the dimension is 1 or absent).
    const std::vector<int> tp_group = p.tp > 1 ? layout.tp_group_of(rep) : std::vector<int>{};
    const std::vector<int> cp_group = p.cp > 1 ? layout.cp_group_of(rep) : std::vector<int>{};
    const std::vector<int> ep_group =
        m.is_moe() && p.ep > 1 ? layout.ep_group_of(rep) : std::vector<int>{};
    const std::vector<int> etp_group =
        m.is_moe() && p.etp > 1 ? layout.etp_group_of(rep) : std::vector<int>{};
    std::vector<int> sig;
    for (const auto* group : {&tp_group, &cp_group, &ep_group, &etp_group}) {
      const auto part = group_signature(topology_, *group, rep);
      sig.insert(sig.end(), part.begin(), part.end());
      sig.push_back(-1000000);
    }
    if (!seen.insert(std::move(sig)).second) continue;
    BlockingCommTimes c;
    if (p.tp > 1) {
      const auto& g = tp_group;
      if (p.sequence_parallel) c.tp_gather = collective_s(CollectiveKind::all_gather, g, residual);
      c.tp_exit = collective_s(
          p.sequence_parallel ? CollectiveKind::reduce_scatter : CollectiveKind::all_reduce, g,
          residual);
      c.tp_loss = collective_s(CollectiveKind::all_reduce, g, s.tokens_tp * 8.0);
    }
    if (p.cp > 1 && t.attention == AttentionImpl::flash) {
      const auto& g = cp_group;
      if (p.cp_algorithm == CpAlgorithm::ring) {
        c.cp_ring_kv = collective_s(CollectiveKind::ring_shift, g, kv_bytes);
        c.cp_ring_kv_grad = collective_s(CollectiveKind::ring_shift, g, 2.0 * kv_bytes);
      } else {
        c.cp_a2a_qkv = collective_s(CollectiveKind::all_to_all, g, qkv_bytes);
        c.cp_a2a_out = collective_s(CollectiveKind::all_to_all, g, out_bytes);
      }
    }
    if (!ep_group.empty()) {
      c.ep_a2a = collective_s(CollectiveKind::all_to_all, ep_group, a2a_bytes, 0.0,
                              expert_a2a_dedup(m, p));
    }
    if (!etp_group.empty()) {
      const auto& g = etp_group;
      c.etp_gather = collective_s(CollectiveKind::all_gather, g, etp_bytes);
      c.etp_reduce = collective_s(CollectiveKind::reduce_scatter, g, etp_bytes);
    }
    keep_min(out.tp_gather, c.tp_gather);
    keep_min(out.tp_exit, c.tp_exit);
    keep_min(out.tp_loss, c.tp_loss);
    keep_min(out.cp_a2a_qkv, c.cp_a2a_qkv);
    keep_min(out.cp_a2a_out, c.cp_a2a_out);
    keep_min(out.cp_ring_kv, c.cp_ring_kv);
    keep_min(out.cp_ring_kv_grad, c.cp_ring_kv_grad);
    keep_min(out.ep_a2a, c.ep_a2a);
    keep_min(out.etp_gather, c.etp_gather);
    keep_min(out.etp_reduce, c.etp_reduce);
    first = false;
  }
  out.tp_overlapped = p.tp_comm_overlap && p.sequence_parallel && p.tp > 1;
  return out;
}

}  // namespace ptsim
