// Helpers that read a built step graph independently of the builder's own bookkeeping.
#pragma once

#include <array>
#include <functional>

#include "sim/workload/graph_builder.h"

namespace ptsim::testing {

// Model-convention FLOPs of a compute op: GEMMs as executed; attention forward as executed and
// attention backward as 2x its forward (matmul FLOPs; FlashAttention's extra internal recompute is
// an implementation cost, not model work). Memory-bound kernels: 0.
inline double model_flops_of(const Graph& g, const Op& op) {
  if (op.kind != OpKind::compute) return 0;
  double total = 0;
  for (std::uint32_t index : g.kernels_of(op)) {
    const Kernel& k = g.kernel(index);
    if (const auto* gemm = std::get_if<GemmKernel>(&k)) total += gemm->flops();
    if (const auto* a = std::get_if<AttentionKernel>(&k)) {
      AttentionKernel f = *a;
      f.backward = false;
      total += a->backward ? 2.0 * f.flops() : f.flops();
    }
  }
  return total;
}

// Sum over the whole cluster: each graph rank's ops count once per GPU it stands for.
inline double cluster_model_flops(const StepGraph& step) {
  const Graph& g = step.graph;
  double total = 0;
  for (const Op& op : g.ops())
    total += model_flops_of(g, op) * g.ranks()[op.rank].represents;
  return total;
}

// Per-rank wire bytes of a communication op (nccl-tests algorithm volumes).
inline double wire_bytes_of(const Graph& g, const Op& op) {
  if (op.kind == OpKind::send) return g.transfer_of(op).bytes;
  if (op.kind != OpKind::collective) return 0;
  const Collective& c = g.collective_of(op);
  const double n = static_cast<double>(g.groups()[c.group].ranks.size());
  if (n <= 1) return 0;
  switch (c.kind) {
    case CollectiveKind::all_reduce:
      return 2 * (n - 1) / n * c.bytes;
    case CollectiveKind::all_gather:
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::all_to_all:
      return (n - 1) / n * c.bytes;
    case CollectiveKind::broadcast:
    case CollectiveKind::ring_shift:
      return c.bytes;
  }
  return 0;
}

inline double wire_bytes(const StepGraph& step, GraphRank rank, Category c,
                         const std::function<bool(const Op&)>& keep = nullptr) {
  const Graph& g = step.graph;
  double total = 0;
  for (const Op& op : g.ops()) {
    if (op.rank != rank || op.category != c) continue;
    if (keep && !keep(op)) continue;
    total += wire_bytes_of(g, op);
  }
  return total;
}

// Replays a rank's memory events in program order (they all sit on the compute stream, so program
// order is execution order) and returns the peak of one tag, and the final balance.
struct MemoryReplay {
  double peak = 0;
  double final_balance = 0;
};
inline MemoryReplay replay_memory(const StepGraph& step, GraphRank rank, MemoryTag tag) {
  const Graph& g = step.graph;
  MemoryReplay r;
  double now = 0;
  for (const Op& op : g.ops()) {
    if (op.rank != rank || (op.kind != OpKind::alloc && op.kind != OpKind::free)) continue;
    const MemoryEvent& e = g.memory_of(op);
    if (e.tag != tag) continue;
    now += op.kind == OpKind::alloc ? e.bytes : -e.bytes;
    r.peak = std::max(r.peak, now);
  }
  r.final_balance = now;
  return r;
}

}  // namespace ptsim::testing
