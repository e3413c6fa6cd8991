// ZeRO-3 parameter gathering, prefetched (FSDP) against on demand (DeepSpeed up to 0.4,
// sim/workload/parallel_config.h Zero3Gather):
// * on demand, the recomputed forward gathers the layer's parameters once more: three all-gathers
//   per layer and micro-batch under full recomputation instead of two (forward, backward);
// * on-demand gathers sit on the compute stream, capped at kOnDemandGatherBytesPerS, so on a
//   network that costs nothing else each adds exactly its per-rank bytes / cap to the step.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/sim_fixtures.h"
#include "tests/workload/graph_inspect.h"
#include "tests/workload/test_specs.h"

namespace ptsim {
namespace {

struct Zero3Case {
  ModelSpec model = testing::llama_spec(4, 512, 8, 8, 1024, 4096);
  TrainingConfig training;
  ParallelConfig parallel;
  Zero3Case(Zero3Gather gather, Recompute recompute) {
    training.seq_len = 256;
    training.global_batch = 16;
    parallel.dp = 8;
    parallel.zero_stage = 3;
    parallel.recompute = recompute;
    parallel.zero3_gather = gather;
  }
  StepGraph build() const {
    auto r = build_step_graph(model, training, parallel, parallel.world_size(), GraphMode::reduced);
    EXPECT_TRUE(r.verdict.ok) << r.verdict.reason;
    return std::move(*r.step);
  }
};

bool is_gather(const Graph& g, const Op& op) {
  return op.kind == OpKind::collective && g.collective_of(op).kind == CollectiveKind::all_gather &&
         op.category == Category::dp;
}

// Wire bytes of one layer's parameter all-gathers in one micro-batch on graph rank 0.
double layer_gather_bytes(const StepGraph& step, int layer, int mb) {
  return testing::wire_bytes(step, 0, Category::dp, [&](const Op& op) {
    return is_gather(step.graph, op) && op.label.a == layer && op.label.b == mb;
  });
}

TEST(UnitZero3Gather, OnDemandGathersAgainForTheRecomputedForward) {
  for (Recompute r : {Recompute::none, Recompute::selective, Recompute::full}) {
    const StepGraph prefetch = Zero3Case(Zero3Gather::prefetch, r).build();
    const StepGraph on_demand = Zero3Case(Zero3Gather::on_demand, r).build();
    const double expected_ratio = r == Recompute::full ? 1.5 : 1.0;
    for (int layer : {0, 2, 3}) {
      const double base = layer_gather_bytes(prefetch, layer, 1);
      ASSERT_GT(base, 0);
      EXPECT_DOUBLE_EQ(layer_gather_bytes(on_demand, layer, 1), expected_ratio * base)
          << recompute_name(r) << " layer " << layer;
    }
  }
}

TEST(UnitZero3Gather, OnDemandGathersWaitOnTheComputeStreamAtTheCap) {
  const StepGraph prefetch = Zero3Case(Zero3Gather::prefetch, Recompute::full).build();
  const StepGraph on_demand = Zero3Case(Zero3Gather::on_demand, Recompute::full).build();
  const std::uint8_t compute = 0;  // graph_builder.h: the compute stream comes first
  ASSERT_EQ(on_demand.graph.streams()[compute], "compute");
  int gathers = 0;
  for (const Op& op : on_demand.graph.ops()) {
    if (!is_gather(on_demand.graph, op)) continue;
    ++gathers;
    EXPECT_EQ(op.stream, compute);
    EXPECT_EQ(on_demand.graph.collective_of(op).rate_cap_bytes_per_s, kOnDemandGatherBytesPerS);
  }
  EXPECT_GT(gathers, 0);
  for (const Op& op : prefetch.graph.ops()) {
    if (!is_gather(prefetch.graph, op)) continue;
    EXPECT_NE(op.stream, compute);
    EXPECT_EQ(prefetch.graph.collective_of(op).rate_cap_bytes_per_s, 0.0);
  }
}

TEST(UnitZero3Gather, OnANetworkThatCostsNothingEachOnDemandGatherAddsBytesOverTheCap) {
  // With links of unbounded bandwidth and no latency the prefetched step is compute only; on
  // demand, every gather blocks the compute stream for (n-1)/n S / cap.
  const ClusterProfile cluster = testing::free_network_cluster();
  const Topology topology = testing::build_topology(cluster, 8);
  for (Recompute r : {Recompute::none, Recompute::full}) {
    const StepGraph prefetch = Zero3Case(Zero3Gather::prefetch, r).build();
    const StepGraph on_demand = Zero3Case(Zero3Gather::on_demand, r).build();
    const SimulationResult a = simulate_graph(prefetch.graph, cluster, topology);
    const SimulationResult b = simulate_graph(on_demand.graph, cluster, topology);
    ASSERT_TRUE(a.completed) << a.stuck;
    ASSERT_TRUE(b.completed) << b.stuck;
    const double gathered = testing::wire_bytes(
        on_demand, 0, Category::dp, [&](const Op& op) { return is_gather(on_demand.graph, op); });
    const double expected = a.step_time_s + gathered / kOnDemandGatherBytesPerS;
    EXPECT_NEAR(b.step_time_s, expected, 1e-9 * expected) << recompute_name(r);
  }
}

}  // namespace
}  // namespace ptsim
