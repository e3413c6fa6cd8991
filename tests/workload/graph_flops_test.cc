// Step FLOPs of built graphs against the published closed forms:
//   GPT models (Korthikanti et al. 2022 Appendix A, eq. 7): model FLOPs per step
//     72 B L s h^2 (1 + s/(6h) + V/(12 h L));
//   full recompute (Narayanan et al. 2021 eq. 3): 96 B L s h^2 (1 + s/(6h) + V/(16 h L));
//   selective recompute, counted physically (one more attention-core forward per layer):
//     72 B L s h^2 (1 + 2s/(9h) + V/(12 h L)) (Korthikanti's eq. 8 writes s/(3h); see
//     model_flops.h);
//   other models: 6 N T plus the attention core, as model_flops.h counts them.
// The graph's FLOPs are summed op by op (graph_inspect.h), so this checks the emitted kernels.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/rng.h"
#include "graph_inspect.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/model_flops.h"
#include "sim/workload/rank_shapes.h"
#include "test_specs.h"

namespace ptsim {
namespace {

struct RandomCase {
  ModelSpec m;
  TrainingConfig t;
  ParallelConfig p;
};

RandomCase random_gpt_case(Rng& rng) {
  const int heads = static_cast<int>(rng.pick(std::vector<int>{4, 8, 16}));
  const int head_dim = static_cast<int>(rng.pick(std::vector<int>{16, 32, 64}));
  const int layers = static_cast<int>(rng.uniform_int(2, 8));
  RandomCase c;
  c.m = testing::gpt_spec(layers, heads * head_dim, heads,
                          static_cast<int>(rng.uniform_int(500, 9000)));
  c.t.attention = AttentionImpl::unfused;
  c.t.seq_len = static_cast<int>(rng.pick(std::vector<int>{64, 128, 256}));
  std::vector<int> tps;
  for (int t : {1, 2, 4}) {
    if (heads % t == 0) tps.push_back(t);
  }
  c.p.tp = rng.pick(tps);
  c.p.sequence_parallel = c.p.tp > 1 && rng.uniform01() < 0.5;
  c.p.pp = static_cast<int>(rng.uniform_int(1, std::min(4, layers)));
  c.p.dp = static_cast<int>(rng.uniform_int(1, 3));
  c.p.micro_batch = static_cast<int>(rng.uniform_int(1, 2));
  const int m = static_cast<int>(rng.uniform_int(1, 6));
  c.t.global_batch = m * c.p.micro_batch * c.p.dp;
  c.p.zero_stage = static_cast<int>(rng.uniform_int(0, 3));
  c.p.schedule = c.p.pp > 1 && rng.uniform01() < 0.3 ? Schedule::gpipe : Schedule::one_f_one_b;
  return c;
}

double eq7(const RandomCase& c, double vocab) {
  const double B = c.t.global_batch, L = c.m.layers, s = c.t.seq_len, h = c.m.hidden;
  return 72 * B * L * s * h * h * (1 + s / (6 * h) + vocab / (12 * h * L));
}

TEST(PropertyGraphFlops, GptStepFlopsEqualMegatronClosedForms) {
  Rng rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    RandomCase c = random_gpt_case(rng);
    const double vocab = rank_shapes(c.m, c.t, c.p).vocab_padded;
    const double B = c.t.global_batch, L = c.m.layers, s = c.t.seq_len, h = c.m.hidden;
    for (Recompute r : {Recompute::none, Recompute::selective, Recompute::full}) {
      c.p.recompute = r;
      const GraphMode mode = trial % 10 == 0 ? GraphMode::full : GraphMode::reduced;
      auto built = build_step_graph(c.m, c.t, c.p, c.p.world_size(), mode);
      ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
      const double flops = testing::cluster_model_flops(*built.step);
      double expected = eq7(c, vocab);
      if (r == Recompute::selective) {
        expected = 72 * B * L * s * h * h * (1 + 2 * s / (9 * h) + vocab / (12 * h * L));
      } else if (r == Recompute::full) {
        expected = 96 * B * L * s * h * h * (1 + s / (6 * h) + vocab / (16 * h * L));
      }
      EXPECT_NEAR(flops / expected, 1.0, 1e-12)
          << "trial " << trial << " recompute " << recompute_name(r) << " tp " << c.p.tp << " pp "
          << c.p.pp << " dp " << c.p.dp;
    }
  }
}

// Llama-style (flash, causal, GQA, SwiGLU) and Mixtral-style MoE models: the graph's FLOPs equal
// the catalogue's independent count (model_flops.h: 6 N T with the causal attention core).
TEST(PropertyGraphFlops, OtherModelsEqualSixNTPlusCausalAttention) {
  Rng rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    const bool moe = trial % 2 == 1;
    const int heads = 8, kv = rng.pick(std::vector<int>{2, 4, 8});
    const int tp = rng.pick(std::vector<int>{1, 2});
    // Vocabulary a multiple of 128 * tp so that Megatron's padding adds nothing.
    const int vocab = 256 * static_cast<int>(rng.uniform_int(2, 40));
    ModelSpec m = moe ? testing::moe_spec(4, 256, heads, kv, 384, 8, 2, vocab)
                      : testing::llama_spec(4, 256, heads, kv, 688, vocab);
    TrainingConfig t;
    t.seq_len = 128;
    ParallelConfig p;
    p.tp = tp;
    p.sequence_parallel = tp > 1;
    p.pp = rng.pick(std::vector<int>{1, 2});
    p.dp = rng.pick(std::vector<int>{1, 2, 4});
    p.cp = moe ? 1 : rng.pick(std::vector<int>{1, 2});
    if (moe) p.ep = rng.pick(std::vector<int>{1, 2, 4, 8});
    if (moe && (p.tp * p.cp * p.dp) % p.ep != 0) p.ep = 1;
    p.micro_batch = 2;
    t.global_batch = 4 * p.micro_batch * p.dp;
    auto built = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
    ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
    const double expected =
        step_flops(m, t.seq_len, t.global_batch, Recompute::none).model_causal_flops;
    EXPECT_NEAR(testing::cluster_model_flops(*built.step) / expected, 1.0, 1e-12)
        << "trial " << trial << " moe " << moe << " tp " << tp << " cp " << p.cp << " ep " << p.ep;
  }
}

// Selective recomputation of Megatron-Core's modules: every subset re-runs the matmuls of exactly
// its modules. By hand, per sequence of s tokens: core_attn adds the causal attention core forward
// of every layer, 2 s^2 heads (d_qk + d_v) / 2; moe adds each MoE layer's router and routed
// experts, 2 s h E + top_k 3 (2 s h f); mlp adds each dense layer's SwiGLU MLP, 3 (2 s h f);
// mla_up_proj adds MLA's q and kv up-projections, 2 s heads (q_lora (128 + 64) + kv_lora (128 +
// 128)); layernorm and moe_act re-run memory-bound kernels only, no matmul.
TEST(PropertyGraphFlops, SelectiveRecomputeModulesAddExactlyTheirModulesMatmuls) {
  const int layers = 4, hidden = 256, heads = 8, kv = 4, ffn = 384, experts = 8, top_k = 2;
  const int vocab = 1024, q_lora = 64, kv_lora = 32;
  enum Kind { dense, moe_model, mla };
  for (const Kind kind : {dense, moe_model, mla}) {
    const bool moe = kind == moe_model;
    const ModelSpec m =
        moe           ? testing::moe_spec(layers, hidden, heads, kv, ffn, experts, top_k, vocab)
        : kind == mla ? testing::mla_spec(layers, hidden, heads, q_lora, kv_lora, ffn, vocab)
                      : testing::llama_spec(layers, hidden, heads, kv, ffn, vocab);
    TrainingConfig t;
    t.seq_len = 128;
    ParallelConfig p;
    p.tp = 2;
    p.sequence_parallel = true;
    p.pp = 2;
    p.dp = 2;
    if (moe) p.ep = 2;
    p.micro_batch = 2;
    t.global_batch = 4 * p.micro_batch * p.dp;
    auto base = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
    ASSERT_TRUE(base.verdict.ok) << base.verdict.reason;
    const double none = testing::cluster_model_flops(*base.step);
    const double seqs = t.global_batch, s = t.seq_len, h = hidden;
    const double head_dims = kind == mla ? 192.0 + 128 : 2.0 * m.head_dim;
    const double core = seqs * layers * 2 * s * s * heads * head_dims / 2;
    const double moe_block =
        moe ? seqs * layers * (2 * s * h * experts + top_k * 3 * 2 * s * h * ffn) : 0.0;
    const double mlp = moe ? 0.0 : seqs * layers * 3 * 2 * s * h * ffn;
    const double mla_up = kind == mla ? seqs * layers * 2 * s * heads *
                                            (q_lora * (128.0 + 64) + kv_lora * (128.0 + 128))
                                      : 0.0;
    // Megatron-Core keeps MLA's down-projections whole on every tensor-parallel rank: the graph
    // runs them tp times (forward and backward), the model counts them once.
    const double duplicated_down =
        kind == mla ? (p.tp - 1) * seqs * layers * 3 * 2 * s * h * (q_lora + kv_lora + 64.0) : 0.0;
    p.recompute = Recompute::selective;
    for (std::uint8_t modules = 1; modules <= kRecomputeModuleAll; ++modules) {
      p.recompute_modules = modules;
      auto built = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
      ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
      double expected = none;
      if (modules & kRecomputeCoreAttn) expected += core;
      if (modules & kRecomputeMoe) expected += moe_block;
      if (modules & kRecomputeMlp) expected += mlp;
      if (modules & kRecomputeMlaUpProj) expected += mla_up;
      const double flops = testing::cluster_model_flops(*built.step);
      EXPECT_NEAR(flops / expected, 1.0, 1e-12)
          << "kind " << kind << " modules " << recompute_modules_name(modules);
      // The step count agrees (hardware FLOPs with the causal core).
      EXPECT_NEAR(
          step_flops(m, t.seq_len, t.global_batch, p.recompute, modules).hardware_causal_flops /
              (expected - duplicated_down),
          1.0, 1e-12)
          << "kind " << kind << " modules " << recompute_modules_name(modules);
    }
  }
}

// Full recomputation of the first N layers of each model chunk (recompute_layers, Megatron-LM's
// block method) re-runs the forward of min(N, layers per chunk) layers per chunk: 8 layers on 2
// stages are 2 chunks of 4, interleaved over 2 virtual stages 4 chunks of 2. N = 0 recomputes all.
TEST(UnitGraphFlops, PartialFullRecomputeReRunsTheFirstLayersOfEachChunk) {
  const ModelSpec m = testing::llama_spec(8, 256, 8, 4, 384, 1024);
  TrainingConfig t;
  t.seq_len = 128;
  for (const int vpp : {1, 2}) {
    ParallelConfig p;
    p.pp = 2;
    p.dp = 2;
    p.vpp = vpp;
    p.schedule = vpp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
    p.micro_batch = 2;
    t.global_batch = 4 * p.micro_batch * p.dp;
    auto base = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
    ASSERT_TRUE(base.verdict.ok) << base.verdict.reason;
    const double none = testing::cluster_model_flops(*base.step);
    const double layer = t.global_batch * layer_forward_flops(m, 0, t.seq_len).total_causal_flops();
    const int chunks = p.pp * vpp, per_chunk = m.layers / chunks;
    p.recompute = Recompute::full;
    for (const int n : {0, 1, 2, 3, 4, 5}) {
      p.recompute_layers = n;
      auto built = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
      ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
      const int recomputed = n == 0 ? m.layers : chunks * std::min(n, per_chunk);
      EXPECT_NEAR(testing::cluster_model_flops(*built.step) / (none + recomputed * layer), 1.0,
                  1e-12)
          << "vpp " << vpp << " recompute_layers " << n;
    }
  }
}

TEST(UnitGraphFlops, FullAndReducedGraphsCountTheSameWork) {
  ModelSpec m = testing::llama_spec(4, 256, 8, 4, 688, 1024);
  TrainingConfig t;
  t.seq_len = 128;
  t.global_batch = 16;
  ParallelConfig p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 2;
  p.cp = 2;
  p.sequence_parallel = true;
  auto full = build_step_graph(m, t, p, 16, GraphMode::full);
  auto reduced = build_step_graph(m, t, p, 16, GraphMode::reduced);
  ASSERT_TRUE(full.verdict.ok && reduced.verdict.ok);
  EXPECT_EQ(full.step->graph.rank_count(), 16u);
  EXPECT_EQ(reduced.step->graph.rank_count(), 2u);
  EXPECT_TRUE(reduced.step->graph.reduced());
  EXPECT_NEAR(testing::cluster_model_flops(*full.step), testing::cluster_model_flops(*reduced.step),
              1e-9 * testing::cluster_model_flops(*full.step));
  // Rank 0 does the same ops in both forms.
  std::size_t full_ops = 0, reduced_ops = 0;
  for (const Op& op : full.step->graph.ops())
    full_ops += op.rank == 0;
  for (const Op& op : reduced.step->graph.ops())
    reduced_ops += op.rank == 0;
  EXPECT_EQ(full_ops, reduced_ops);
}

TEST(UnitGraphFlops, ReducedGraphSizeGrowsWithRolesNotGpus) {
  ModelSpec m = testing::llama_spec(8, 256, 8, 8, 688, 1024);
  TrainingConfig t;
  t.seq_len = 128;
  ParallelConfig p;
  p.pp = 4;
  p.micro_batch = 1;
  std::size_t ops_small = 0;
  for (int dp : {2, 64}) {
    p.dp = dp;
    t.global_batch = 8 * dp;  // the same 8 micro-batches per pipeline
    auto built = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
    ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
    if (dp == 2) {
      ops_small = built.step->graph.op_count();
    } else {
      EXPECT_EQ(built.step->graph.op_count(), ops_small);
    }
  }
}

}  // namespace
}  // namespace ptsim
