// DeepSpeed's pipeline engine and bf16 optimizer, through the workload builder and the simulator:
// one-at-a-time pipeline sends (ParallelConfig::serial_p2p) and fp32 gradient accumulation by copy
// (ParallelConfig::fp32_grad_copy).
//
// Oracles:
// * Serial sends: every transfer of a two-stage pipeline has both stages as its ends, and each
//   stage waits for each of its transfers before the next, so a step of m micro-batches lasts at
//   least 2 m transfer times (one activation and one gradient each). Megatron pairs a send with a
//   receive in opposite directions of the full-duplex link, so the same step takes about m.
// * Serial sends change only when transfers happen, never what is computed: with the network free
//   both pairings give the same step, and the full and reduced graphs agree.
// * The fp32 copy on one GPU (no communication) adds, per micro-batch, one memory-bound pass of 18
//   bytes per parameter (bf16 read, fp32 temporary written and read, fp32 buffer read and
//   written) at the ideal GPU's HBM bandwidth, and holds 2 more bytes of gradient per parameter.
#include <gtest/gtest.h>

#include <cstddef>

#include "common/rng.h"
#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/random_configs.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::build_topology;
using testing::FabricSpec;
using testing::ideal_cluster;
using testing::uniform_model;

struct Step {
  double step_s = 0;
  double gradient_peak_bytes = 0;  // rank 0
  double params = 0;               // per rank of pipeline rank 0
  bool completed = false;
};

Step run(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p, int gpus,
         const ClusterProfile& cluster, GraphMode mode = GraphMode::full) {
  Step out;
  BuildResult built = build_step_graph(m, t, p, gpus, mode);
  EXPECT_TRUE(built.verdict.ok) << built.verdict.rule << ": " << built.verdict.reason;
  if (!built.step) return out;
  const SimulationResult sim =
      simulate_graph(built.step->graph, cluster, build_topology(cluster, gpus));
  EXPECT_TRUE(sim.completed) << sim.stuck;
  out.completed = sim.completed;
  out.step_s = sim.step_time_s;
  out.gradient_peak_bytes =
      sim.memory[0].peak_by_tag[static_cast<std::size_t>(MemoryTag::gradients)];
  out.params = built.step->params_by_pipeline_rank[0];
  return out;
}

// Two stages on two nodes (one GPU each), so every pipeline transfer crosses the network.
ClusterProfile two_node_cluster(double nic_bytes_per_s) {
  FabricSpec fabric;
  fabric.gpus_per_node = 1;
  fabric.nvlink_domain_gpus = 1;
  fabric.nic_bytes_per_s = nic_bytes_per_s;
  return ideal_cluster(fabric);
}

TEST(UnitDeepSpeedEngine, SerialSendsTakeTwoTransferTimesPerMicroBatch) {
  TrainingConfig t;
  t.seq_len = 1024;
  t.global_batch = 16;
  ParallelConfig p;
  p.pp = 2;
  p.micro_batch = 1;
  p.schedule = Schedule::one_f_one_b;
  // 1024 tokens x 4096 x 2 bytes = 8.4 MB per transfer at 0.1 GB/s: 84 ms, against about 2 ms of
  // compute per micro-batch and stage.
  const double nic = 0.1e9;
  const double transfer_s = 1024.0 * 4096 * 2 / nic;
  const int m = 16;
  const ClusterProfile cluster = two_node_cluster(nic);
  p.serial_p2p = true;
  const Step serial = run(uniform_model(2), t, p, 2, cluster);
  p.serial_p2p = false;
  const Step paired = run(uniform_model(2), t, p, 2, cluster);
  EXPECT_GE(serial.step_s, 2.0 * m * transfer_s * (1 - 1e-9));
  EXPECT_LE(serial.step_s, (2.0 * m + 3) * transfer_s);
  EXPECT_GE(paired.step_s, m * transfer_s * (1 - 1e-9));
  EXPECT_LE(paired.step_s, (m + 3) * transfer_s);
}

TEST(UnitDeepSpeedEngine, SerialSendsOnAFreeNetworkComputeTheSameStep) {
  TrainingConfig t;
  t.seq_len = 1024;
  t.global_batch = 16;
  ParallelConfig p;
  p.pp = 4;
  p.dp = 2;
  p.micro_batch = 1;
  FabricSpec fabric;
  fabric.nic_bytes_per_s = 1e18;
  fabric.nvlink_bytes_per_s = 1e18;
  const ClusterProfile cluster = ideal_cluster(fabric);
  p.schedule = Schedule::one_f_one_b;
  const Step paired = run(uniform_model(8), t, p, 8, cluster);
  p.serial_p2p = true;
  const Step serial = run(uniform_model(8), t, p, 8, cluster);
  const Step reduced = run(uniform_model(8), t, p, 8, cluster, GraphMode::reduced);
  ASSERT_TRUE(paired.completed && serial.completed && reduced.completed);
  EXPECT_NEAR(serial.step_s, paired.step_s, 1e-6 * paired.step_s);
  EXPECT_NEAR(reduced.step_s, serial.step_s, 1e-3 * serial.step_s);
}

TEST(UnitDeepSpeedEngine, Fp32GradientCopyCostsOneHbmPassPerMicroBatch) {
  TrainingConfig t;
  t.seq_len = 1024;
  t.global_batch = 4;
  ParallelConfig p;
  p.micro_batch = 1;
  p.grad_reduce_fp32 = true;
  const ClusterProfile cluster = ideal_cluster();
  const Step reduced_fp32 = run(uniform_model(2), t, p, 1, cluster);
  p.fp32_grad_copy = true;
  const Step copied = run(uniform_model(2), t, p, 1, cluster);
  const double params = copied.params;
  ASSERT_GT(params, 0.0);
  const double hbm = cluster.gpu.hbm_bandwidth_bytes_per_s;
  EXPECT_NEAR(copied.step_s - reduced_fp32.step_s, 4 * 18.0 * params / hbm, 1e-9 * copied.step_s);
  EXPECT_NEAR(copied.gradient_peak_bytes - reduced_fp32.gradient_peak_bytes, 2.0 * params,
              1e-9 * copied.gradient_peak_bytes);
  EXPECT_NEAR(reduced_fp32.gradient_peak_bytes, 4.0 * params, 1e-9 * params);
}

TEST(PropertyDeepSpeedEngine, SerialSendsCompleteOnRandomPipelines) {
  // Every stage's sends and receives must pair with its neighbours' in one order, whatever the
  // pipeline depth, micro-batch count (fewer than the stages included), ranks or model; a
  // mismatch deadlocks (evaluate() stops on it). Each draw with pp > 1 on 1F1B and one pass at a
  // time runs with serial sends, full and reduced graphs.
  Rng rng(2026);
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  int pipelined = 0;
  for (int i = 0; i < 3000 && pipelined < 120; ++i) {
    testing::RandomConfig c = testing::random_config(rng);
    ParallelConfig& p = c.parallel;
    if (p.pp == 1 || p.schedule != Schedule::one_f_one_b || p.ep_a2a_overlap) continue;
    p.serial_p2p = true;
    ++pipelined;
    const Topology topology = build_topology(*cluster, c.gpus);
    for (const GraphMode mode : {GraphMode::reduced, GraphMode::full}) {
      EvaluationOptions options;
      options.mode = mode;
      const Evaluation e =
          evaluate(c.model, c.training, c.parallel, *cluster, topology, c.gpus, options);
      ASSERT_TRUE(e.verdict.ok && e.result) << e.verdict.reason << ": " << c.describe();
    }
  }
  EXPECT_EQ(pipelined, 120);
}

}  // namespace
}  // namespace ptsim
