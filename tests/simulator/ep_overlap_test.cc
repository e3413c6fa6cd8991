// Passes that run together (--ep-a2a-overlap's forward + backward pairs, DualPipe's pairs) exist
// to hide one pass's expert all-to-alls behind the other's compute: DeepSeek-V3 (arXiv:2412.19437,
// section 3.2.1) cuts each chunk into attention, dispatch, MLP and combine and runs one chunk's
// communication while the other computes, and Megatron-Core's combined 1F1B does the same. On an
// in-order compute stream that needs the other pass's kernels queued between an all-to-all's
// issue and the kernel that waits for it; these tests measure, on the simulated timeline, how much
// all-to-all time passes with the compute stream idle.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "sim/simulator.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using Interval = std::pair<double, double>;

std::vector<Interval> merged(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.first <= out.back().second) {
      out.back().second = std::max(out.back().second, i.second);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

double length(const std::vector<Interval>& v) {
  double s = 0;
  for (const Interval& i : v)
    s += i.second - i.first;
  return s;
}

// Seconds of `covered` (merged) that `cover` (merged) overlaps.
double overlap(const std::vector<Interval>& covered, const std::vector<Interval>& cover) {
  double s = 0;
  std::size_t j = 0;
  for (const Interval& a : covered) {
    while (j < cover.size() && cover[j].second <= a.first)
      ++j;
    for (std::size_t k = j; k < cover.size() && cover[k].first < a.second; ++k)
      s += std::min(a.second, cover[k].second) - std::max(a.first, cover[k].first);
  }
  return s;
}

struct A2aExposure {
  double in_flight_s = 0;  // expert all-to-all time of the rank (union)
  double exposed_s = 0;    // ... of it with no compute op of the rank running
};

// Mixtral style (every layer MoE, top-2 of 8 experts, no shared experts) on nodes of 2 GPUs with a
// slow network, so that the expert all-to-alls (ep 4, across two nodes) cost about as much as the
// expert GEMMs.
A2aExposure run(Schedule schedule, bool ep_a2a_overlap, int global_batch = 32) {
  ModelSpec m;
  m.name = "moe-overlap";
  m.architecture = Architecture::mixtral;
  m.layers = 8;
  m.hidden = 2048;
  m.heads = 16;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.ffn_hidden = 4096;
  m.vocab = 1000;
  m.moe.num_experts = 8;
  m.moe.top_k = 2;
  m.moe.expert_ffn_hidden = 4096;
  TrainingConfig t;
  t.seq_len = 2048;
  t.global_batch = global_batch;
  ParallelConfig p;
  p.pp = 2;
  p.dp = 4;
  p.ep = 4;
  p.schedule = schedule;
  p.ep_a2a_overlap = ep_a2a_overlap;
  const int gpus = p.world_size();
  EXPECT_TRUE(check_config(m, t, p, gpus).ok);
  testing::FabricSpec f;
  f.gpus_per_node = 2;
  f.nvlink_domain_gpus = 2;
  f.nic_bytes_per_s = 25e9;
  const ClusterProfile cluster = testing::ideal_cluster(f);
  const Topology topology = testing::build_topology(cluster, gpus);
  const BuildResult built = build_step_graph(m, t, p, gpus, GraphMode::reduced);
  EXPECT_TRUE(built.step.has_value());
  if (!built.step) return {};
  const Graph& g = built.step->graph;
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  A2aExposure out;
  // The stage that starts the pipeline: most of its passes run in pairs when overlapping.
  const GraphRank rank = 0;
  std::vector<Interval> compute, a2a;
  for (std::size_t i = 0; i < g.ops().size(); ++i) {
    const Op& op = g.ops()[i];
    if (op.rank != rank) continue;
    const Interval span{sim.op_start_s[i], sim.op_end_s[i]};
    if (op.kind == OpKind::compute) compute.push_back(span);
    if (op.kind == OpKind::collective && op.category == Category::ep) a2a.push_back(span);
  }
  const auto a2a_union = merged(a2a);
  out.in_flight_s = length(a2a_union);
  out.exposed_s = out.in_flight_s - overlap(a2a_union, merged(compute));
  return out;
}

// Alone, a pass's routed tokens wait for their dispatch and its output for its combine: the
// compute stream idles through nearly all of the all-to-all time (no shared experts here to fill
// it). Paired, the other pass's attention or expert compute runs through most of it.
TEST(EpA2aOverlap, PairedPassesHideMostOfEachOthersAllToAlls) {
  const A2aExposure alone = run(Schedule::one_f_one_b, false);
  const A2aExposure paired = run(Schedule::one_f_one_b, true);
  ASSERT_GT(alone.in_flight_s, 0.0);
  EXPECT_GT(alone.exposed_s, 0.8 * alone.in_flight_s);
  EXPECT_LT(paired.exposed_s, 0.35 * paired.in_flight_s)
      << "exposed " << paired.exposed_s << " s of " << paired.in_flight_s << " s";
}

// DualPipe pairs a forward with the backward after it (forward first in the plan); the backward
// must still lead the interleaving, or each all-to-all meets the wrong neighbour.
TEST(EpA2aOverlap, DualPipePairsHideMostOfEachOthersAllToAlls) {
  const A2aExposure dualpipe = run(Schedule::dualpipe, false, 128);
  ASSERT_GT(dualpipe.in_flight_s, 0.0);
  EXPECT_LT(dualpipe.exposed_s, 0.35 * dualpipe.in_flight_s)
      << "exposed " << dualpipe.exposed_s << " s of " << dualpipe.in_flight_s << " s";
}

}  // namespace
}  // namespace ptsim
