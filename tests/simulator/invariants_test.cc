// Invariants of the simulator over hundreds of random valid configurations (random_configs.h):
// small models on 8 to 32 GPUs of the shipped clusters, through evaluate() (build_step_graph,
// simulate_graph, breakdown) as simulate, planner and whatif run them.
//
// * More NIC or NVLink bandwidth, or a faster GPU (peaks or HBM bandwidth scaled up), is never
//   slower (DESIGN.md "Quality bars"): exactly without shared links, and within the contention
//   anomalies of max-min sharing otherwise (see MoreBandwidthOrAFasterGpuIsNeverSlower...).
// * The step is at least the busiest compute stream's work: a stream runs its ops one at a time,
//   so its kernels' total time, computed here with the compute cost model, is a lower bound.
// * Peak memory grows (weakly) with the micro-batch size b at a fixed global batch G: activations
//   per micro-batch grow linearly while 1F1B keeps at most min(p - k, m) micro-batches in flight on
//   stage k and GPipe all m = G/(b d) (Narayanan et al. 2021, section 2.2.1; Korthikanti et al.
//   2022, section 4.2.3), and neither min(p, G/(b d)) x b nor G/d falls as b grows. Under ZeRO-3
//   it holds at a fixed number of micro-batches (see ...UnderZero3 for why).
// * The breakdown's parts sum to the step time (sim/breakdown.h).
// Determinism and full-vs-reduced agreement are in determinism_test.cc and full_reduced_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cost_models/compute_cost.h"
#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "tests/simulator/random_configs.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::random_config;
using testing::RandomConfig;
using testing::RandomConfigOptions;

// Relative slack for "never slower" and "at least": the simulator's arithmetic is deterministic
// but a changed bandwidth reorders floating-point sums, so equal times may differ in the last
// bits; 1e-9 of the step is far below any modelled effect.
constexpr double kRelSlack = 1e-9;

ClusterProfile cluster_for(Rng& rng, RandomConfig& c) {
  const std::string name = rng.pick(std::vector<std::string>{"dgx-h100", "dgx-a100", "dgx-b200"});
  auto cluster = load_cluster(name);
  PTSIM_CHECK(cluster.ok(), "shipped cluster does not load");
  if (!cluster->gpu.supports(Dtype::fp8)) c.training.precision = Precision::bf16;
  return std::move(cluster).value();
}

Evaluation run(const RandomConfig& c, const ClusterProfile& cluster, GraphMode mode,
               bool keep_graph = false) {
  const Topology topology = testing::build_topology(cluster, c.gpus);
  EvaluationOptions options;
  options.mode = mode;
  options.keep_graph = keep_graph;
  Evaluation e = evaluate(c.model, c.training, c.parallel, cluster, topology, c.gpus, options);
  EXPECT_TRUE(e.verdict.ok) << c.describe() << ": " << e.verdict.rule << " " << e.verdict.reason;
  return e;
}

double step_time(const RandomConfig& c, const ClusterProfile& cluster) {
  const Evaluation e = run(c, cluster, GraphMode::reduced);
  return e.result ? e.result->step_time_s : 0.0;
}

// What a faster variant of the hardware did to the step, over many configurations.
struct SpeedupStats {
  int checked = 0;
  int slower = 0;    // variants slower than the base beyond rounding (kRelSlack)
  double worst = 0;  // largest relative slowdown seen
  std::string worst_case;
};

// For `configurations` random configurations, runs the base cluster and four faster variants (2x
// NIC bandwidth, 2x NVLink bandwidth, 2x GPU peak FLOP/s, 2x HBM bandwidth) and expects none to be
// slower than the base by more than `allowed` (relative). `no_overlap_slowdown` sets the GPU's
// communication-overlap slowdown to 0 in the base and every variant.
SpeedupStats check_faster_hardware(std::uint64_t seed, int configurations, double allowed,
                                   bool no_overlap_slowdown) {
  Rng rng(seed);
  SpeedupStats stats;
  for (int i = 0; i < configurations; ++i) {
    RandomConfig c = random_config(rng);
    ClusterProfile base = cluster_for(rng, c);
    if (no_overlap_slowdown) base.gpu.efficiency.comm_overlap_slowdown = 0;
    const double t0 = step_time(c, base);
    EXPECT_GT(t0, 0) << c.describe();
    if (!(t0 > 0)) continue;
    struct Variant {
      const char* what;
      ClusterProfile cluster;
    };
    std::vector<Variant> variants;
    variants.push_back({"2x NIC bandwidth", base});
    variants.back().cluster.nic_bandwidth_bytes_per_s *= 2;
    variants.push_back({"2x NVLink bandwidth", base});
    variants.back().cluster.nvlink_bandwidth_bytes_per_s *= 2;
    variants.back().cluster.gpu.nvlink_bandwidth_bytes_per_s *= 2;
    variants.push_back({"2x GPU peak FLOP/s", base});
    for (double& peak : variants.back().cluster.gpu.peak_flops_per_s)
      peak *= 2;
    variants.push_back({"2x HBM bandwidth", base});
    variants.back().cluster.gpu.hbm_bandwidth_bytes_per_s *= 2;
    for (const Variant& v : variants) {
      const double t = step_time(c, v.cluster);
      const double slowdown = t / t0 - 1;
      EXPECT_LE(slowdown, allowed)
          << v.what << " made the step slower: " << t0 << " s -> " << t << " s (+" << slowdown * 100
          << "%) on " << base.name << ": " << c.describe();
      ++stats.checked;
      if (slowdown > kRelSlack) ++stats.slower;
      if (slowdown > stats.worst) {
        stats.worst = slowdown;
        stats.worst_case = std::string(v.what) + " on " + base.name + ": " + c.describe();
      }
    }
  }
  return stats;
}

// The invariant as DESIGN.md states it cannot hold exactly with bandwidth shared max-min fairly:
// greedy sharing has timing anomalies (Graham, "Bounds on multiprocessing timing anomalies", SIAM
// J. Appl. Math. 1969). Communication issued earlier, by a faster GPU or by a faster NVLink phase
// of a hierarchical all-reduce, can share a NIC with a transfer on the critical path and delay it;
// faster hardware can also change the algorithm NCCL's model picks for a collective in isolation
// to one that fares worse under contention. The simulator gives critical-path traffic no priority,
// as NCCL does not. Over seed 101's first 3000 draws (12000 faster variants on the shipped
// profiles, overlap slowdown on), one variant was slower: 2x NVLink on dgx-a100 for a ZeRO-3
// 2-layer MoE model on 32 GPUs (pp 2 interleaved, dp 16), +1.13%. (A compute op slowed for its
// whole length when it started inside a transfer was a second cause, 10 of 12000 variants up to
// +3.2%, until the slowdown was made to apply only while communication overlaps the op.)
// The test allows one faster variant to lose up to 2% of the step to contention, and at most
// 0.2% of the faster variants to be slower at all: a modelling error that makes faster hardware
// slower in general fails both bounds.
TEST(PropertySimulator, MoreBandwidthOrAFasterGpuIsNeverSlowerBeyondContentionAnomalies) {
  const SpeedupStats s = check_faster_hardware(101, 500, 0.02, /*no_overlap_slowdown=*/false);
  EXPECT_EQ(s.checked, 2000);
  EXPECT_LE(s.slower, s.checked / 500);
  std::printf(
      "[ faster hardware ] %d faster variants, %d slower than the base, worst +%.3g%%%s%s\n",
      s.checked, s.slower, s.worst * 100, s.worst > 0 ? " with " : "", s.worst_case.c_str());
}

TEST(PropertySimulator, MoreBandwidthOrAFasterGpuIsNeverSlowerWithoutSharedLinks) {
  // Without contention the step is a max-plus function of op durations on fixed stream orders, so
  // faster hardware is never slower: dense models on the 8 GPUs of one node with one kind of
  // traffic, tensor or pipeline parallel (no data-parallel, expert or second stream of transfers
  // to share an NVLink port with).
  Rng rng(111);
  RandomConfigOptions options;
  options.gpu_counts = {8};
  options.allow_moe = false;
  int checked = 0;
  for (int i = 0; i < 3000 && checked < 100; ++i) {
    RandomConfig c = random_config(rng, options);
    const ParallelConfig& p = c.parallel;
    if (p.dp != 1 || p.cp != 1 || (p.tp > 1 && p.pp > 1)) continue;
    ClusterProfile base = cluster_for(rng, c);
    const double t0 = step_time(c, base);
    ASSERT_GT(t0, 0) << c.describe();
    for (int v = 0; v < 3; ++v) {
      ClusterProfile fast = base;
      if (v == 0) {
        fast.nvlink_bandwidth_bytes_per_s *= 2;
        fast.gpu.nvlink_bandwidth_bytes_per_s *= 2;
      }
      if (v == 1)
        for (double& peak : fast.gpu.peak_flops_per_s)
          peak *= 2;
      if (v == 2) fast.gpu.hbm_bandwidth_bytes_per_s *= 2;
      EXPECT_LE(step_time(c, fast), t0 * (1 + kRelSlack))
          << "variant " << v << ": " << c.describe();
    }
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST(PropertySimulator, StepTimeIsAtLeastTheBusiestComputeStreamsWork) {
  Rng rng(202);
  for (int i = 0; i < 400; ++i) {
    RandomConfig c = random_config(rng);
    const ClusterProfile cluster = cluster_for(rng, c);
    const Evaluation e = run(c, cluster, GraphMode::reduced, /*keep_graph=*/true);
    ASSERT_TRUE(e.result && e.graph) << c.describe();
    const Graph& g = e.graph->graph;
    const ComputeCostModel cost(cluster.gpu);
    // Sum, per graph rank, of the kernel times of every op on its compute stream (the cost model's
    // times, without the communication-overlap slowdown, which only lengthens them).
    std::vector<double> work(g.rank_count(), 0.0);
    for (const Op& op : g.ops()) {
      if (op.kind != OpKind::compute || g.streams()[op.stream] != "compute") continue;
      for (std::uint32_t k : g.kernels_of(op))
        work[op.rank] += cost.time_s(g.kernel(k));
    }
    const double busiest = *std::max_element(work.begin(), work.end());
    ASSERT_GT(busiest, 0) << c.describe();
    EXPECT_GE(e.result->step_time_s, busiest * (1 - kRelSlack))
        << "busiest compute stream " << busiest << " s: " << c.describe();
  }
}

TEST(PropertySimulator, BreakdownPartsSumToTheStepTime) {
  // sim/breakdown.h: every instant of the critical rank's step counts once, as compute, optimizer,
  // exposed communication of some dimensions, or bubble, so the parts sum to the step time. The
  // sum runs over a sweep of op edges; 1e-9 relative covers its rounding.
  Rng rng(606);
  for (int i = 0; i < 300; ++i) {
    RandomConfig c = random_config(rng);
    const ClusterProfile cluster = cluster_for(rng, c);
    const Evaluation e = run(c, cluster, GraphMode::reduced);
    ASSERT_TRUE(e.result) << c.describe();
    const StepResult& r = *e.result;
    EXPECT_NEAR(r.breakdown.total_s(), r.step_time_s, 1e-9 * r.step_time_s) << c.describe();
    for (double part : r.breakdown.seconds)
      EXPECT_GE(part, 0) << c.describe();
    EXPECT_GE(r.breakdown.bubble_s, 0) << c.describe();
    EXPECT_GT(r.breakdown.seconds[static_cast<std::size_t>(Category::compute)], 0) << c.describe();
  }
}

// Draws configurations whose micro-batch size can double at the same global batch, and checks that
// the worst GPU's peak and every stage's peak do not fall.
void check_memory_grows_with_micro_batch(std::uint64_t seed, int configurations,
                                         const std::vector<int>& zero_stages,
                                         bool same_global_batch) {
  Rng rng(seed);
  RandomConfigOptions options;
  options.even_micro_batches = true;
  options.zero_stages = zero_stages;
  for (int i = 0; i < configurations; ++i) {
    RandomConfig small = random_config(rng, options);
    const ClusterProfile cluster = cluster_for(rng, small);
    // Same global batch, micro-batch size doubled: half as many micro-batches (still valid: the
    // count was drawn even, and for interleaved and DualPipe a multiple of 2 pp).
    RandomConfig large = small;
    large.parallel.micro_batch *= 2;
    if (same_global_batch) {
      large.micro_batches /= 2;
    } else {
      large.training.global_batch *= 2;
    }
    ASSERT_TRUE(check_config(large.model, large.training, large.parallel, large.gpus).ok)
        << large.describe();
    const Evaluation a = run(small, cluster, GraphMode::reduced);
    const Evaluation b = run(large, cluster, GraphMode::reduced);
    ASSERT_TRUE(a.result && b.result) << small.describe();
    // Memory events are exact sums of byte counts; 1e-12 relative covers their rounding.
    EXPECT_GE(b.result->memory.peak_bytes, a.result->memory.peak_bytes * (1 - 1e-12))
        << "micro-batch " << small.parallel.micro_batch << " -> " << large.parallel.micro_batch
        << " on " << cluster.name << ": " << small.describe();
    ASSERT_EQ(a.result->memory.per_stage_bytes.size(), b.result->memory.per_stage_bytes.size());
    for (std::size_t s = 0; s < a.result->memory.per_stage_bytes.size(); ++s) {
      EXPECT_GE(b.result->memory.per_stage_bytes[s],
                a.result->memory.per_stage_bytes[s] * (1 - 1e-12))
          << "stage " << s << ": " << small.describe();
    }
  }
}

TEST(PropertySimulator, PeakMemoryGrowsWeaklyWithMicroBatchSize) {
  check_memory_grows_with_micro_batch(303, 400, {0, 1, 2}, /*same_global_batch=*/true);
}

// Under ZeRO-3 the peak at the same global batch can fall slightly when the micro-batch doubles
// (0.03-0.3%, GPipe and 1F1B): it lands in the backward of the last micro-batch, with two layers'
// parameters gathered, after that micro-batch's LM-head activations (proportional to the
// micro-batch) were freed; a real FSDP run frees them there too. (A larger drop, up to 5.5%, came
// from ZB-H1 keeping a layer's gathered parameters until its deferred weight-gradient pass, which
// does not read them; they now go after the input-gradient pass.) With the same number of
// micro-batches, a larger micro-batch never lowers the peak.
TEST(PropertySimulator, PeakMemoryGrowsWeaklyWithMicroBatchSizeUnderZero3) {
  check_memory_grows_with_micro_batch(303, 400, {3}, /*same_global_batch=*/false);
}

}  // namespace
}  // namespace ptsim
