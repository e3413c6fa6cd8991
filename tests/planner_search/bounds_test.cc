// The planner's bounds against the simulator they must never exceed (planner/bounds.h): the
// optimistic step time and the memory lower bound over hundreds of configurations of small
// models, each configuration simulated by evaluate(); and the closed-form compute per rank against
// the compute ops of the built graph.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "hardware_profiles/catalogue.h"
#include "planner/bounds.h"
#include "planner/config_space.h"
#include "planner/evaluate.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/graph_builder.h"
#include "tests/planner_search/small_models.h"

namespace ptsim {
namespace {

struct Scenario {
  const char* name;
  ModelSpec model;
  TrainingConfig training;
  int gpus;
  const char* cluster;
  int samples;  // configurations to simulate
  // Overrides the GPU's comm_overlap_slowdown when >= 0: a large one stresses the receive-window
  // part of the pipeline bound (bounds_pipeline.h), which holds for any slowdown.
  double slowdown = -1;
  // What selective recomputation re-runs in the configurations that use it.
  std::uint8_t recompute_modules = kRecomputeCoreAttn;
  // How ZeRO-3 gathers; on demand, only ZeRO-3 configurations that move parameters (data x
  // context or expert-data parallel > 1) are sampled (nothing else changes).
  Zero3Gather zero3_gather = Zero3Gather::prefetch;
  std::optional<Recompute> recompute = std::nullopt;  // pinned when set
  // DeepSpeed's engine: serial pipeline sends (no receive posted ahead, so no receive window)
  // and the bf16 optimizer's fp32 gradient copy.
  bool deepspeed = false;
  // Megatron-Core's combined 1F1B (--ep-a2a-overlap): forward and backward passes run in pairs.
  bool ep_a2a_overlap = false;
  MoeDispatcher dispatcher = MoeDispatcher::all_to_all;
  // Full recomputation of only the first N layers of each chunk (with recompute pinned full).
  int recompute_layers = 0;
};

// Qwen3-style routing (top-8 of 32 experts) on 32 GPUs: expert-parallel groups span nodes, where
// DeepEP sends a token once per node.
ModelSpec wide_moe() {
  ModelSpec m = testing::small_moe();
  m.name = "wide-moe";
  m.moe.num_experts = 32;
  m.moe.top_k = 8;
  m.moe.shared_experts = 0;
  m.moe.shared_expert_ffn_hidden = 0;
  return m;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  TrainingConfig t;
  t.seq_len = 2048;
  t.global_batch = 32;
  out.push_back({"llama 16 GPUs", testing::small_llama(), t, 16, "dgx-h100", 140});
  TrainingConfig gpt = t;
  gpt.seq_len = 1024;
  gpt.global_batch = 16;
  gpt.attention = AttentionImpl::unfused;
  out.push_back({"gpt unfused 8 GPUs", testing::small_gpt(), gpt, 8, "dgx-a100", 60});
  TrainingConfig moe = t;
  moe.global_batch = 16;
  moe.moe_imbalance = 1.3;
  out.push_back({"moe 16 GPUs", testing::small_moe(), moe, 16, "dgx-h100", 100});
  TrainingConfig fp8 = t;
  fp8.precision = Precision::fp8;
  out.push_back({"llama fp8 32 GPUs", testing::small_llama(6), fp8, 32, "dgx-h100", 60});
  out.push_back({"llama slowdown 0.6 16 GPUs", testing::small_llama(), t, 16, "dgx-h100", 80, 0.6});
  out.push_back({"moe slowdown 0.6 16 GPUs", testing::small_moe(), moe, 16, "dgx-h100", 60, 0.6});
  out.push_back({"moe recompute layernorm,moe_act,moe 16 GPUs", testing::small_moe(), moe, 16,
                 "dgx-h100", 40, -1, kRecomputeLayernorm | kRecomputeMoeAct | kRecomputeMoe});
  out.push_back({"moe recompute moe_act 16 GPUs", testing::small_moe(), moe, 16, "dgx-h100", 30, -1,
                 kRecomputeMoeAct});
  out.push_back({"llama recompute core_attn,layernorm,mlp 16 GPUs", testing::small_llama(), t, 16,
                 "dgx-h100", 40, -1, kRecomputeCoreAttn | kRecomputeLayernorm | kRecomputeMlp});
  out.push_back({"mla moe 16 GPUs", testing::small_mla_moe(), moe, 16, "dgx-h100", 40});
  for (const int layers : {1, 2}) {
    Scenario partial{"llama full recompute of the first layers per chunk 16 GPUs",
                     testing::small_llama(),
                     t,
                     16,
                     "dgx-h100",
                     30};
    partial.recompute = Recompute::full;
    partial.recompute_layers = layers;
    out.push_back(partial);
  }
  out.push_back({"mla moe recompute mla_up_proj,layernorm,moe_act 16 GPUs",
                 testing::small_mla_moe(), moe, 16, "dgx-h100", 40, -1,
                 kRecomputeMlaUpProj | kRecomputeLayernorm | kRecomputeMoeAct});
  // DeepSpeed's early ZeRO-3: each layer's gathers on the compute stream, rate-capped.
  out.push_back({"gpt unfused zero-3 on demand 16 GPUs", testing::small_gpt(), gpt, 16, "dgx-a100",
                 40, -1, kRecomputeCoreAttn, Zero3Gather::on_demand});
  out.push_back({"moe zero-3 on demand 16 GPUs", testing::small_moe(), moe, 16, "dgx-h100", 20, -1,
                 kRecomputeCoreAttn, Zero3Gather::on_demand});
  // Under full recomputation an on-demand backward gathers twice (before and after the
  // recomputed forward).
  out.push_back({"gpt unfused zero-3 on demand full recompute 16 GPUs", testing::small_gpt(), gpt,
                 16, "dgx-a100", 30, -1, kRecomputeCoreAttn, Zero3Gather::on_demand,
                 Recompute::full});
  out.push_back({"moe zero-3 on demand full recompute 16 GPUs", testing::small_moe(), moe, 16,
                 "dgx-h100", 20, -1, kRecomputeCoreAttn, Zero3Gather::on_demand, Recompute::full});
  out.push_back({"llama deepspeed engine slowdown 0.6 16 GPUs", testing::small_llama(), t, 16,
                 "dgx-h100", 60, 0.6, kRecomputeCoreAttn, Zero3Gather::prefetch, std::nullopt,
                 true});
  out.push_back({"moe ep-a2a-overlap 16 GPUs", testing::small_moe(), moe, 16, "dgx-h100", 60, -1,
                 kRecomputeCoreAttn, Zero3Gather::prefetch, std::nullopt, false, true});
  TrainingConfig wide = t;
  wide.global_batch = 64;
  for (bool pairs : {false, true}) {
    out.push_back({pairs ? "wide moe deepep ep-a2a-overlap 32 GPUs" : "wide moe deepep 32 GPUs",
                   wide_moe(), wide, 32, "dgx-h100", 60, -1, kRecomputeCoreAttn,
                   Zero3Gather::prefetch, std::nullopt, false, pairs, MoeDispatcher::deepep});
  }
  return out;
}

// Every valid configuration of the space, then an even sample of `n` of them (the space is
// enumerated in a fixed order, so the sample is too).
std::vector<ParallelConfig> sample_space(const Scenario& s, const ClusterProfile& cluster, int n) {
  std::vector<ParallelConfig> valid;
  SearchPins pins;
  pins.framework.recompute_modules = s.recompute_modules;
  pins.framework.zero3_gather = s.zero3_gather;
  pins.recompute = s.recompute;
  pins.framework.serial_p2p = s.deepspeed;
  pins.framework.fp32_grad_copy = s.deepspeed;
  pins.framework.ep_a2a_overlap = s.ep_a2a_overlap;
  pins.framework.moe_dispatcher = s.dispatcher;
  pins.framework.recompute_layers = s.recompute_layers;
  const bool zero3_only = s.zero3_gather == Zero3Gather::on_demand;
  enumerate_configs(s.model, s.training, cluster, s.gpus, pins, [&](const ParallelConfig& p) {
    const bool moves_parameters = p.dp * p.cp > 1 || p.expert_dp() > 1;
    if (zero3_only && (p.zero_stage != 3 || !moves_parameters)) return;
    if (check_config(s.model, s.training, p, s.gpus).ok) valid.push_back(p);
  });
  std::vector<ParallelConfig> out;
  const std::size_t stride = std::max<std::size_t>(1, valid.size() / static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < valid.size(); i += stride)
    out.push_back(valid[i]);
  return out;
}

TEST(PropertyPlannerBounds, StepTimeAndMemoryBoundsNeverExceedTheSimulation) {
  // The bounds prune and stop the search, so one bound above its simulation could drop the best
  // configuration. Tolerance: none beyond the bound's own 1e-9 safety margin.
  int checked = 0;
  double tightness_sum = 0, tightness_min = 1, memory_sum = 0;
  for (const Scenario& s : scenarios()) {
    auto cluster = load_cluster(s.cluster);
    ASSERT_TRUE(cluster.ok()) << cluster.error().one_line();
    if (s.slowdown >= 0) cluster->gpu.efficiency.comm_overlap_slowdown = s.slowdown;
    auto topology = Topology::build(*cluster, s.gpus);
    ASSERT_TRUE(topology.ok()) << topology.error().one_line();
    PlannerBounds bounds(s.model, s.training, *cluster, *topology, s.gpus);
    for (const ParallelConfig& p : sample_space(s, *cluster, s.samples)) {
      const Evaluation e = evaluate(s.model, s.training, p, *cluster, *topology, s.gpus);
      ASSERT_TRUE(e.verdict.ok) << config_key(p) << ": " << e.verdict.reason;
      const StepResult& r = *e.result;
      const double quick = bounds.quick_time_s(p);
      const double full = bounds.time_s(p);
      EXPECT_LE(quick, full) << s.name << ": " << config_key(p);
      EXPECT_LE(full, r.step_time_s) << s.name << ": " << config_key(p);
      const double memory = bounds.memory_bytes(p);
      EXPECT_LE(bounds.quick_memory_bytes(p), memory) << s.name << ": " << config_key(p);
      EXPECT_LE(memory, r.memory.peak_bytes) << s.name << ": " << config_key(p);
      memory_sum += memory / r.memory.peak_bytes;
      tightness_sum += full / r.step_time_s;
      tightness_min = std::min(tightness_min, full / r.step_time_s);
      ++checked;
    }
  }
  EXPECT_GE(checked, 300);
  std::printf("bound / simulated step time over %d configurations: mean %.3f, min %.3f\n", checked,
              tightness_sum / checked, tightness_min);
  std::printf("memory bound / simulated peak: mean %.3f\n", memory_sum / checked);
}

TEST(UnitPlannerBounds, ComputePerRankEqualsTheGraphsComputeOps) {
  // The closed form lists the builder's kernels; summed per pipeline rank they must equal what
  // the built graph's compute ops run (a kernel added to or dropped from the builder shows here).
  // Tolerance 1e-9 relative: the same kernel times summed in another order.
  int checked = 0;
  for (const Scenario& s : scenarios()) {
    auto cluster = load_cluster(s.cluster);
    ASSERT_TRUE(cluster.ok());
    auto topology = Topology::build(*cluster, s.gpus);
    ASSERT_TRUE(topology.ok());
    PlannerBounds bounds(s.model, s.training, *cluster, *topology, s.gpus);
    const ComputeCostModel cm(cluster->gpu);
    for (const ParallelConfig& p : sample_space(s, *cluster, 40)) {
      // The closed form times partial full recomputation without its recomputed forwards (a
      // lower bound, bounds.cc), so it equals the graph only for the other configurations.
      if (p.recomputes_some_layers()) continue;
      BuildResult built = build_step_graph(s.model, s.training, p, s.gpus, GraphMode::reduced);
      ASSERT_TRUE(built.verdict.ok);
      const StepGraph& step = *built.step;
      std::vector<double> graph_sum(static_cast<std::size_t>(p.pp), 0.0);
      for (const Op& op : step.graph.ops()) {
        if (op.kind != OpKind::compute) continue;
        double t = 0;
        for (std::uint32_t k : step.graph.kernels_of(op))
          t += cm.time_s(step.graph.kernel(k));
        graph_sum[static_cast<std::size_t>(step.pipeline_rank[op.rank])] += t;
      }
      const std::vector<double> closed = bounds.rank_compute_s(p);
      ASSERT_EQ(closed.size(), graph_sum.size());
      for (std::size_t r = 0; r < closed.size(); ++r) {
        EXPECT_NEAR(closed[r], graph_sum[r], 1e-9 * graph_sum[r])
            << s.name << ": " << config_key(p) << " pipeline rank " << r;
      }
      EXPECT_EQ(PlannerBounds::layers_per_stage(s.model.layers, step.model_stages),
                step.layers_per_model_stage)
          << config_key(p);
      ++checked;
    }
  }
  EXPECT_GE(checked, 100);
}

// CommBounds times each collective once per group shape (group_signature from its first member):
// groups of one shape placed anywhere on the fabric, in any ring order, must time as the
// collective planned for them directly.
TEST(PropertyCommBounds, CollectivesOfOneShapeTimeAlikeAnywhereOnTheFabric) {
  auto cluster = load_cluster("dgx-h100");
  ASSERT_TRUE(cluster.ok());
  const int gpus = 512;  // 64 nodes, two scalable units
  auto topology = Topology::build(*cluster, gpus);
  ASSERT_TRUE(topology.ok());
  const CommBounds cached(*cluster, *topology);
  const CollectiveCostModel cost(*cluster);
  const CollectiveFlows flows(*topology, cost);
  Rng rng(512);
  const CollectiveKind kinds[] = {CollectiveKind::all_reduce, CollectiveKind::all_gather,
                                  CollectiveKind::reduce_scatter, CollectiveKind::all_to_all};
  int repeats = 0;
  for (int trial = 0; trial < 400; ++trial) {
    // A group as the rank layouts make them: a start, a stride, a size (ring order).
    const int size = static_cast<int>(rng.pick(std::vector<int>{2, 4, 8, 16}));
    const int stride = static_cast<int>(rng.pick(std::vector<int>{1, 2, 8, 16, 64}));
    if (size * stride > gpus) continue;
    const int start = static_cast<int>(rng.uniform_int(0, gpus - size * stride));
    std::vector<int> members;
    for (int i = 0; i < size; ++i)
      members.push_back(start + i * stride);
    const CollectiveKind kind = kinds[rng.uniform_int(0, 3)];
    const double bytes = rng.pick(std::vector<double>{1e6, 64e6, 1e9});
    const double direct = contention_free_s(flows.plan(kind, members, {}, bytes, {}, 0), *topology);
    const double timed = cached.collective_s(kind, members, bytes);
    EXPECT_DOUBLE_EQ(timed, direct)
        << "size " << size << " stride " << stride << " start " << start;
    repeats += timed == direct ? 1 : 0;
  }
  EXPECT_GE(repeats, 300);
}

}  // namespace
}  // namespace ptsim
