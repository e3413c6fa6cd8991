#include "sim/breakdown.h"

#include <algorithm>
#include <vector>

#include "common/check.h"

namespace ptsim {

double TimeBreakdown::total_s() const {
  double t = bubble_s;
  for (double s : seconds)
    t += s;
  return t;
}

TimeBreakdown time_breakdown(const Graph& graph, const SimulationResult& sim, GraphRank rank) {
  PTSIM_CHECK(!sim.op_start_s.empty(), "time_breakdown needs recorded op times");
  struct Edge {
    double t;
    int delta;
    std::uint8_t category;
    bool compute;
  };
  std::vector<Edge> edges;
  for (OpId i = 0; i < graph.op_count(); ++i) {
    const Op& op = graph.op(i);
    if (op.rank != rank || op.kind == OpKind::alloc || op.kind == OpKind::free) continue;
    const double a = sim.op_start_s[i];
    const double b = sim.op_end_s[i];
    if (!(b > a)) continue;
    const bool compute = op.kind == OpKind::compute;
    const auto c = static_cast<std::uint8_t>(op.category);
    edges.push_back({a, +1, c, compute});
    edges.push_back({b, -1, c, compute});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.t < y.t || (x.t == y.t && x.delta < y.delta);
  });
  TimeBreakdown out;
  std::array<int, kCategoryCount> compute_active{};
  std::array<int, kCategoryCount> comm_active{};
  double last = 0;
  auto account = [&](double until) {
    const double dt = until - last;
    if (dt <= 0) return;
    for (std::size_t c = 0; c < kCategoryCount; ++c) {
      if (compute_active[c] > 0) {
        out.seconds[c] += dt;
        return;
      }
    }
    int active = 0;
    for (int n : comm_active)
      active += n > 0 ? 1 : 0;
    if (active == 0) {
      out.bubble_s += dt;
      return;
    }
    for (std::size_t c = 0; c < kCategoryCount; ++c) {
      if (comm_active[c] > 0) out.seconds[c] += dt / active;
    }
  };
  for (const Edge& e : edges) {
    account(e.t);
    last = std::max(last, e.t);
    (e.compute ? compute_active : comm_active)[e.category] += e.delta;
  }
  account(sim.step_time_s);
  return out;
}

GraphRank critical_rank(const Graph& graph, const SimulationResult& sim) {
  GraphRank best = 0;
  double latest = -1;
  for (OpId i = 0; i < graph.op_count(); ++i) {
    const double end = sim.op_end_s.empty() ? 0 : sim.op_end_s[i];
    if (end > latest) {
      latest = end;
      best = graph.op(i).rank;
    }
  }
  return best;
}

}  // namespace ptsim
