// The communication-overlap slowdown of compute ops (sim/simulator.h: a compute op progresses at
// 1 / (1 + comm_overlap_slowdown) of its speed while a communication op of its rank is in
// progress, because NCCL kernels hold SMs), on a two-rank graph whose times are known by hand.
//
// Rank 0 runs A, a memory-bound kernel of 1 ms (bytes / HBM bandwidth), then B, 10 ms of fp32
// arithmetic (its FLOPs over the fp32 peak; HBM does not matter). Rank 1 runs G, 0.4 ms of fp32
// arithmetic, then sends 9e7 bytes to rank 0 over NVLink at 450 GB/s: a transfer from 0.4 to
// 0.6 ms. Rank 0's receive is posted when G ends, so rank 0 communicates exactly in [0.4, 0.6] ms.
// No latencies, flat efficiencies, slowdown 0.1.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

constexpr double kSlowdown = 0.1;

struct Outcome {
  double step_s = 0;
  double b_duration_s = 0;
};

Outcome run(double hbm_scale) {
  ClusterProfile cluster = testing::ideal_cluster();
  cluster.gpu.efficiency.comm_overlap_slowdown = kSlowdown;
  cluster.gpu.hbm_bandwidth_bytes_per_s *= hbm_scale;
  const Topology topology = testing::build_topology(cluster, 8);
  const double fp32 = cluster.gpu.peak(Dtype::fp32);
  Graph g = testing::full_graph(2, {"compute", "comm"});
  const std::uint32_t label = g.intern_label("op{0}");
  const MemoryBoundKernel a{MemoryBoundKind::elementwise, 1e-3 * 1e12, 0};  // 1 ms at 1 TB/s
  const MemoryBoundKernel b{MemoryBoundKind::elementwise, 1, 10e-3 * fp32};
  const MemoryBoundKernel gk{MemoryBoundKind::elementwise, 1, 0.4e-3 * fp32};
  g.add_compute(0, 0, Category::compute, a, OpLabel{label, 0}, {});
  const OpId op_b = g.add_compute(0, 0, Category::compute, b, OpLabel{label, 1}, {});
  const OpId op_g = g.add_compute(1, 0, Category::compute, gk, OpLabel{label, 2}, {});
  const OpId after_g[] = {op_g};
  const double bytes = 0.2e-3 * cluster.nvlink_bandwidth_bytes_per_s;
  g.add_send(1, 1, Category::pp, 0, 1, bytes, OpLabel{label, 3}, after_g);
  g.add_recv(0, 1, Category::pp, 1, 1, bytes, OpLabel{label, 4}, after_g);
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  return {sim.step_time_s, sim.op_end_s[op_b] - sim.op_start_s[op_b]};
}

TEST(UnitOverlapSlowdown, AComputeOpIsSlowedOnlyWhileCommunicationOverlapsIt) {
  // Slowed work: what a span of wall time at 1/1.1 speed leaves undone.
  const auto lost = [](double wall_s) { return wall_s - wall_s / (1 + kSlowdown); };
  // Base: the transfer [0.4, 0.6] ms falls inside A, which ends at 1 ms + lost(0.2 ms); B then
  // runs alone for 10 ms.
  const Outcome base = run(1.0);
  EXPECT_NEAR(base.b_duration_s, 10e-3, 1e-12);
  EXPECT_NEAR(base.step_s, 1e-3 + lost(0.2e-3) + 10e-3, 1e-12);
  // HBM twice as fast: A (0.5 ms of work) has 0.1 ms left at 0.4 ms, done at 1/1.1 speed by
  // 0.4 + 0.11 = 0.51 ms; B overlaps the rest of the transfer, 0.09 ms.
  const Outcome fast = run(2.0);
  const double a_end_s = 0.4e-3 + 0.1e-3 * (1 + kSlowdown);
  EXPECT_NEAR(fast.b_duration_s, 10e-3 + lost(0.6e-3 - a_end_s), 1e-12);
  // HBM four times as fast: B starts at 0.25 ms and the whole 0.2 ms transfer falls inside it.
  const Outcome faster = run(4.0);
  EXPECT_NEAR(faster.b_duration_s, 10e-3 + lost(0.2e-3), 1e-12);
}

// Slowing a kernel only while communication overlaps it keeps a faster GPU from slowing this step
// (a whole-op rule, slowing B for all 10 ms because it started inside the transfer, made 2x HBM
// take 11.5 ms instead of 11).
TEST(UnitOverlapSlowdown, AFasterGpuNeverSlowsTheStepThroughTheOverlapSlowdown) {
  const Outcome base = run(1.0);
  for (double scale : {1.5, 2.0, 4.0, 8.0}) {
    const Outcome fast = run(scale);
    EXPECT_LE(fast.step_s, base.step_s)
        << scale << "x HBM: " << base.step_s << " s -> " << fast.step_s << " s";
  }
}

}  // namespace
}  // namespace ptsim
