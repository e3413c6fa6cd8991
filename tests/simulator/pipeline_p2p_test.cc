// Pipeline sends waited for or overlapped (ParallelConfig::overlap_p2p), through the workload
// builder and the simulator. Megatron-LM up to 2022 waited for every send of the interleaved
// schedule (batch_isend_irecv, wait, torch.cuda.synchronize) before the next chunk; since 2023 the
// schedule overlaps them with compute.
//
// Oracle: when a rank waits for its sends, its compute stream is idle while each send is in
// flight (the send starts after the chunk that produced it and the next chunk starts after the
// send), so per rank the compute time plus the send time fits inside the pipeline's span. With
// overlapped sends and a network slow enough that a send is as long as a chunk, that sum exceeds
// the span on some rank, which shows the check can tell the two apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::build_topology;
using testing::FabricSpec;
using testing::ideal_cluster;
using testing::uniform_model;

struct P2pRun {
  double pipeline_s = 0;          // end of the last forward/backward compute op
  std::vector<double> compute_s;  // per pipeline rank: compute-category op time
  std::vector<double> send_s;     // per pipeline rank: pipeline send op time
};

P2pRun run(bool overlap_p2p) {
  const int pp = 4;
  TrainingConfig training;
  training.seq_len = 1024;
  training.global_batch = 8;
  ParallelConfig parallel;
  parallel.pp = pp;
  parallel.vpp = 2;
  parallel.schedule = Schedule::interleaved;
  parallel.micro_batch = 1;
  parallel.overlap_p2p = overlap_p2p;
  // One GPU per node, so every pipeline send crosses the network: 8.4 MB of activations at 5 GB/s
  // take 1.7 ms, about a two-layer chunk's backward on the ideal GPU.
  FabricSpec fabric;
  fabric.gpus_per_node = 1;
  fabric.nvlink_domain_gpus = 1;
  fabric.nic_bytes_per_s = 5e9;
  const ClusterProfile cluster = ideal_cluster(fabric);
  const Topology topology = build_topology(cluster, pp);
  BuildResult built = build_step_graph(uniform_model(16), training, parallel, pp, GraphMode::full);
  EXPECT_TRUE(built.verdict.ok) << built.verdict.rule << ": " << built.verdict.reason;
  P2pRun out;
  if (!built.step) return out;
  const Graph& g = built.step->graph;
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  out.compute_s.assign(pp, 0.0);
  out.send_s.assign(pp, 0.0);
  for (OpId i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    const auto r = static_cast<std::size_t>(built.step->pipeline_rank[op.rank]);
    const double span = sim.op_end_s[i] - sim.op_start_s[i];
    if (op.kind == OpKind::compute && op.category == Category::compute) {
      out.pipeline_s = std::max(out.pipeline_s, sim.op_end_s[i]);
      out.compute_s[r] += span;
    } else if (op.kind == OpKind::send && op.category == Category::pp) {
      out.send_s[r] += span;
    }
  }
  return out;
}

TEST(UnitPipelineP2p, WaitedForSendsLeaveTheComputeStreamIdleWhileInFlight) {
  const P2pRun waited = run(false);
  const P2pRun overlapped = run(true);
  ASSERT_EQ(waited.compute_s.size(), 4u);
  ASSERT_EQ(overlapped.compute_s.size(), 4u);
  bool overlap_seen = false;
  for (std::size_t r = 0; r < 4; ++r) {
    // Every rank but the last sends activations, every rank but the first gradients.
    EXPECT_GT(waited.send_s[r], 0.0) << "rank " << r;
    EXPECT_LE(waited.compute_s[r] + waited.send_s[r], waited.pipeline_s * (1 + 1e-9))
        << "rank " << r;
    // The same work either way: the compute ops do not change, only what they wait for.
    EXPECT_NEAR(waited.compute_s[r], overlapped.compute_s[r], 1e-9 * waited.compute_s[r]);
    overlap_seen = overlap_seen ||
                   overlapped.compute_s[r] + overlapped.send_s[r] > overlapped.pipeline_s * 1.01;
  }
  EXPECT_TRUE(overlap_seen) << "overlapped sends never ran beside compute";
  EXPECT_GT(waited.pipeline_s, overlapped.pipeline_s * 1.01);
}

}  // namespace
}  // namespace ptsim
