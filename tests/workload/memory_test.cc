// Memory closed forms:
// * ZeRO Table 1 (Rajbhandari et al. 2019): per-device model-state memory for 7.5B, 128B and 1T
//   parameters at DP 1..1024, every cell (the paper truncates a few cells; tolerance below).
// * Korthikanti et al. 2022 Table 2 / formulas.md section 2, worked for GPT-3 175B (a = 96,
//   s = 2048, h = 12288, b = 1, t = 8): per-layer activation coefficients of s b h
//   114 (no parallelism), 23 (TP), 14.25 (TP+SP), 13 (TP + selective), 4.25 (TP+SP+selective),
//   2 (full recompute).
// * From the graph's memory events: model state per rank equals the ZeRO formula; 1F1B's stage k
//   holds p - k micro-batches of activations at its peak; interleaving's first stage holds
//   (1 + (p-1)/(p v)) times the plain 1F1B amount (Korthikanti section 4.2.3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "graph_inspect.h"
#include "sim/workload/activation_memory.h"
#include "sim/workload/model_state_memory.h"
#include "sim/workload/rank_shapes.h"
#include "test_specs.h"

namespace ptsim {
namespace {

TEST(UnitMemory, ZeroTableOneEveryCell) {
  const double psi[3] = {7.5e9, 128e9, 1e12};
  const int dps[6] = {1, 4, 16, 64, 256, 1024};
  // GB (1e9 bytes) as printed: [dp][model][stage 1, 2, 3].
  const double table[6][3][3] = {
      {{120, 120, 120}, {2048, 2048, 2048}, {16000, 16000, 16000}},
      {{52.5, 41.3, 30}, {896, 704, 512}, {7000, 5500, 4000}},
      {{35.6, 21.6, 7.5}, {608, 368, 128}, {4750, 2875, 1000}},
      {{31.4, 16.6, 1.88}, {536, 284, 32}, {4187, 2218, 250}},
      {{30.4, 15.4, 0.47}, {518, 263, 8}, {4046, 2054, 62.5}},
      {{30.1, 15.1, 0.12}, {513, 257, 2}, {4011, 2013, 15.6}},
  };
  for (int d = 0; d < 6; ++d) {
    for (int mi = 0; mi < 3; ++mi) {
      for (int stage = 1; stage <= 3; ++stage) {
        const double gb = model_state_bytes(psi[mi], 0, dps[d], 1, stage).total() / 1e9;
        const double printed = table[d][mi][stage - 1];
        // The paper prints 2-3 significant digits and truncates rather than rounds some cells
        // (35.62 -> 35.6, 16.64 -> 16.6, 257.75 -> 257): accept rounding or truncation at the
        // printed precision.
        bool close = false;
        for (double unit : {1.0, 0.1, 0.01}) {
          const double rounded = std::round(gb / unit) * unit;
          const double truncated = std::floor(gb / unit) * unit;
          if (std::abs(rounded - printed) < 1e-9 || std::abs(truncated - printed) < 1e-9)
            close = true;
        }
        EXPECT_TRUE(close) << "dp " << dps[d] << " model " << mi << " stage " << stage << ": " << gb
                           << " vs " << printed;
      }
    }
  }
  // Figure 1 exactly: 7.5B parameters, N_d = 64.
  EXPECT_DOUBLE_EQ(model_state_bytes(7.5e9, 0, 64, 1, 0).total(), 120e9);
  EXPECT_DOUBLE_EQ(model_state_bytes(7.5e9, 0, 64, 1, 1).total(), 4 * 7.5e9 + 12 * 7.5e9 / 64);
  EXPECT_DOUBLE_EQ(model_state_bytes(7.5e9, 0, 64, 1, 2).total(), 2 * 7.5e9 + 14 * 7.5e9 / 64);
  EXPECT_DOUBLE_EQ(model_state_bytes(7.5e9, 0, 64, 1, 3).total(), 16 * 7.5e9 / 64);
}

// Megatron Core's distributed optimizer with bf16 parameters and an fp32 gradient buffer: 18 bytes
// per parameter without sharding, 6 + 12/d with it (developer guide, Distributed Optimizer table).
TEST(UnitMemory, Fp32GradientBufferMatchesMegatronsDistributedOptimizerTable) {
  const double psi = 7.5e9;
  for (int d : {1, 8, 64, 512}) {
    EXPECT_DOUBLE_EQ(model_state_bytes(psi, 0, d, 1, 0, 4.0).total(), 18 * psi) << d;
    EXPECT_DOUBLE_EQ(model_state_bytes(psi, 0, d, 1, 1, 4.0).total(), 6 * psi + 12 * psi / d) << d;
  }
}

// The same table's "fp16 parameters, fp16 gradients" row: 20 bytes per parameter without sharding
// and 4 + 16/d with it, of which 4 (4/d) are the fp32 gradients the optimizer step copies from the
// 16-bit buffer. Under ZeRO-3 the copy is of one sub-group at a time (DeepSpeed's 1e9 parameters).
TEST(UnitMemory, SixteenBitGradientsMatchMegatronsTableDuringTheOptimizerStep) {
  const double psi = 7.5e9;
  for (int d : {1, 8, 64, 512}) {
    auto during_step = [&](int stage) {
      return model_state_bytes(psi, 0, d, 1, stage, 2.0).total() +
             optimizer_gradient_copy_bytes(psi, 0, d, 1, stage, 2.0);
    };
    EXPECT_DOUBLE_EQ(during_step(0), 20 * psi) << d;
    EXPECT_DOUBLE_EQ(during_step(1), 4 * psi + 16 * psi / d) << d;
    EXPECT_DOUBLE_EQ(optimizer_gradient_copy_bytes(psi, 0, d, 1, 1, 4.0), 0.0) << d;
    EXPECT_DOUBLE_EQ(optimizer_gradient_copy_bytes(psi, 0, d, 1, 3, 2.0),
                     4 * std::min(psi / d, 1e9))
        << d;
  }
}

double korthikanti_coefficient(int tp, bool sp, Recompute r) {
  ModelSpec m = testing::gpt_spec(96, 12288, 96, 51200);
  TrainingConfig t;
  t.seq_len = 2048;
  t.attention = AttentionImpl::unfused;
  ParallelConfig p;
  p.tp = tp;
  p.sequence_parallel = sp;
  p.recompute = r;
  const RankShapes s = rank_shapes(m, t, p);
  const double sbh = 2048.0 * 1 * 12288;
  return layer_activation_bytes(m, t, p, s, false).total() / sbh;
}

TEST(UnitMemory, KorthikantiActivationCoefficientsForGpt3) {
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(1, false, Recompute::none), 34 + 80);  // eq. 1
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(8, false, Recompute::none), 23);       // eq. 2
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(8, true, Recompute::none), 14.25);     // eq. 4
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(8, false, Recompute::selective), 13);
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(8, true, Recompute::selective), 4.25);
  EXPECT_DOUBLE_EQ(korthikanti_coefficient(8, false, Recompute::full), 2);
}

struct LayerCase {
  ModelSpec m;
  TrainingConfig t;
  ParallelConfig p;
};

// A Llama-3-8B layer at tp 8 with SP over 4096 tokens.
LayerCase llama8b_tp8_layer() {
  LayerCase c{testing::llama_spec(8, 4096, 32, 8, 14336, 128256), {}, {}};
  c.p.tp = 8;
  c.p.sequence_parallel = true;
  c.t.seq_len = 4096;
  return c;
}

// The MoE tests' layer: Mixtral style (top-2 of 8 experts), tp 2 with SP, ep 2, dp 2, 2048 tokens.
LayerCase small_moe_layer() {
  LayerCase c{testing::moe_spec(4, 1024, 16, 4, 2048, 8, 2, 32000), {}, {}};
  c.p.tp = 2;
  c.p.sequence_parallel = true;
  c.p.ep = 2;
  c.p.dp = 2;
  c.t.seq_len = 2048;
  return c;
}

TEST(UnitMemory, FlashAttentionKeepsNoScoresSoMemoryIsLinearInSequence) {
  auto [m, t, p] = llama8b_tp8_layer();
  const double a = layer_activation_bytes(m, t, p, rank_shapes(m, t, p), false).total();
  t.seq_len = 8192;
  const double b = layer_activation_bytes(m, t, p, rank_shapes(m, t, p), false).total();
  EXPECT_NEAR(b / a, 2.0, 1e-12);
}

// Selective recomputation of Megatron-Core's modules drops what each re-runs, tensor by tensor
// (16-bit activations): layernorm the two norm outputs, 2 s b h / t each under SP; mlp the dense
// SwiGLU's fc1 output (2 f / t wide) and activation output (f / t), over the gathered s b tokens;
// core_attn FlashAttention's fp32 log-sum-exp, 4 s b (a / t). moe_act and moe drop nothing in a
// dense layer.
TEST(UnitMemory, RecomputeModulesDropWhatTheyReRun) {
  const double s = 4096, b = 2, h = 4096, f = 14336, a = 32, tp = 8;
  ModelSpec m = testing::llama_spec(8, 4096, 32, 8, 14336, 128256);
  ParallelConfig p;
  p.tp = 8;
  p.sequence_parallel = true;
  p.micro_batch = 2;
  TrainingConfig t;
  t.seq_len = 4096;
  const RankShapes shapes = rank_shapes(m, t, p);
  const LayerActivationBytes none = layer_activation_bytes(m, t, p, shapes, false);
  p.recompute = Recompute::selective;
  auto drop = [&](std::uint8_t modules) {
    p.recompute_modules = modules;
    const LayerActivationBytes r = layer_activation_bytes(m, t, p, shapes, false);
    return std::pair{none.attention - r.attention, none.mlp - r.mlp};
  };
  const auto [norm_attn, norm_mlp] = drop(kRecomputeLayernorm);
  EXPECT_DOUBLE_EQ(norm_attn, 2 * s * b * h / tp);
  EXPECT_DOUBLE_EQ(norm_mlp, 2 * s * b * h / tp);
  const auto [mlp_attn, mlp_mlp] = drop(kRecomputeMlp);
  EXPECT_DOUBLE_EQ(mlp_attn, 0);
  EXPECT_DOUBLE_EQ(mlp_mlp, 2 * s * b * (2 * f / tp + f / tp));
  const auto [core_attn, core_mlp] = drop(kRecomputeCoreAttn);
  EXPECT_DOUBLE_EQ(core_attn, 4 * s * b * (a / tp));
  EXPECT_DOUBLE_EQ(core_mlp, 0);
  const auto [moe_attn, moe_mlp] = drop(kRecomputeMoe | kRecomputeMoeAct);
  EXPECT_DOUBLE_EQ(moe_attn + moe_mlp, 0);
  // Modules drop independently: all three together drop the sum.
  const auto [all_attn, all_mlp] = drop(kRecomputeLayernorm | kRecomputeMlp | kRecomputeCoreAttn);
  EXPECT_DOUBLE_EQ(all_attn + all_mlp, norm_attn + norm_mlp + mlp_mlp + core_attn);
}

// mla_up_proj discards MLA's up-projected heads: per token q (a / t heads of 128 + 64), k (the same
// widths: the position-free part from the kv latent, the shared rotary part copied to each head)
// and v (a / t heads of 128), 16-bit. It keeps the latents the recompute starts from, and drops
// nothing in a model without MLA.
TEST(UnitMemory, MlaUpProjectionRecomputeDropsTheHeads) {
  const double s = 4096, b = 1, a = 16, tp = 2;
  ModelSpec m = testing::mla_spec(4, 2048, 16, 768, 256, 5632, 32000);
  ParallelConfig p;
  p.tp = 2;
  p.sequence_parallel = true;
  TrainingConfig t;
  t.seq_len = 4096;
  const RankShapes shapes = rank_shapes(m, t, p);
  const double none = layer_activation_bytes(m, t, p, shapes, false).attention;
  p.recompute = Recompute::selective;
  p.recompute_modules = kRecomputeMlaUpProj;
  const LayerActivationBytes up = layer_activation_bytes(m, t, p, shapes, false);
  EXPECT_DOUBLE_EQ(none - up.attention, 2 * s * b * (a / tp) * ((128 + 64) + (128 + 64) + 128));
  p.recompute_modules = kRecomputeMlaUpProj | kRecomputeCoreAttn;
  const double with_core = layer_activation_bytes(m, t, p, shapes, false).attention;
  p.recompute_modules = kRecomputeCoreAttn;
  EXPECT_DOUBLE_EQ(
      with_core, layer_activation_bytes(m, t, p, shapes, false).attention - (none - up.attention));
  const ModelSpec llama = testing::llama_spec(4, 2048, 16, 16, 5632, 32000);
  const RankShapes llama_shapes = rank_shapes(llama, t, p);
  p.recompute = Recompute::none;
  const double llama_none = layer_activation_bytes(llama, t, p, llama_shapes, false).total();
  p.recompute = Recompute::selective;
  p.recompute_modules = kRecomputeMlaUpProj;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(llama, t, p, llama_shapes, false).total(), llama_none);
}

// fp8 training keeps each linear layer's input as a 1-byte copy (Transformer Engine on Hopper): per
// token of a Llama layer at tp 8 with SP, the q/k/v input and the MLP input (h / t each, under SP)
// and the SwiGLU activation output (f / t) lose a byte per element; the attention output (a d / t)
// keeps its 16-bit tensor for the attention backward and gains the 1-byte copy for the projection.
// In an MoE layer the dispatched tokens (h per routed row) lose a byte too.
TEST(UnitMemory, Fp8KeepsLinearInputsAsOneByteCopies) {
  const double s = 4096, b = 1, h = 4096, f = 14336, a = 32, d = 128, tp = 8;
  auto [m, t, p] = llama8b_tp8_layer();
  const RankShapes shapes = rank_shapes(m, t, p);
  const double bf16 = layer_activation_bytes(m, t, p, shapes, false).total();
  t.precision = Precision::fp8;
  const double fp8 = layer_activation_bytes(m, t, p, shapes, false).total();
  EXPECT_DOUBLE_EQ(bf16 - fp8, s * b * (h / tp + h / tp + f / tp - a * d / tp));
  // Full recomputation keeps the layer input only, in 16 bits either way.
  p.recompute = Recompute::full;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, t, p, shapes, false).total(), 2 * s * b * h / tp);

  LayerCase moe = small_moe_layer();
  const RankShapes moe_shapes = rank_shapes(moe.m, moe.t, moe.p);
  const double moe_bf16 = layer_activation_bytes(moe.m, moe.t, moe.p, moe_shapes, true).mlp;
  moe.t.precision = Precision::fp8;
  const double moe_fp8 = layer_activation_bytes(moe.m, moe.t, moe.p, moe_shapes, true).mlp;
  const double routed_rows = moe_shapes.local_experts * moe_shapes.tokens_per_local_expert;
  EXPECT_DOUBLE_EQ(moe_bf16 - moe_fp8, moe_shapes.tokens_sp * 1024 + routed_rows * 1024 +
                                           routed_rows * moe_shapes.expert_ffn_local);
}

// In an MoE layer, moe drops everything between the block's input and its output: the fp32 router
// probabilities, the dispatched tokens, the experts' intermediates and outputs; moe_act only the
// routed experts' activation outputs (f / etp wide per routed row).
TEST(UnitMemory, MoeRecomputeKeepsOnlyTheBlockInput) {
  auto [m, t, p] = small_moe_layer();
  const RankShapes shapes = rank_shapes(m, t, p);
  const double kept_input = 2.0 * 2 * shapes.tokens_sp * m.hidden;  // norm input and output
  p.recompute = Recompute::selective;
  p.recompute_modules = kRecomputeMoe;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, t, p, shapes, true).mlp, kept_input);
  p.recompute = Recompute::none;
  const double none = layer_activation_bytes(m, t, p, shapes, true).mlp;
  p.recompute = Recompute::selective;
  p.recompute_modules = kRecomputeMoeAct;
  const double routed_rows = shapes.local_experts * shapes.tokens_per_local_expert;
  EXPECT_DOUBLE_EQ(none - layer_activation_bytes(m, t, p, shapes, true).mlp,
                   2.0 * routed_rows * shapes.expert_ffn_local);
}

StepGraph build(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p) {
  auto r = build_step_graph(m, t, p, p.world_size(), GraphMode::reduced);
  EXPECT_TRUE(r.verdict.ok) << r.verdict.reason;
  return std::move(*r.step);
}

TEST(UnitMemory, ModelStateEventsEqualZeroFormula) {
  ModelSpec m = testing::llama_spec(8, 512, 8, 8, 1024, 4096);
  TrainingConfig t;
  t.seq_len = 128;
  t.global_batch = 16;
  for (int zero = 0; zero <= 3; ++zero) {
    for (bool fp32_grads : {false, true}) {
      SCOPED_TRACE(fp32_grads ? "fp32 gradients" : "16-bit gradients");
      ParallelConfig p;
      p.pp = 2;
      p.dp = 4;
      p.cp = 2;
      p.zero_stage = zero;
      p.grad_reduce_fp32 = fp32_grads;
      const StepGraph step = build(m, t, p);
      for (GraphRank r = 0; r < step.graph.rank_count(); ++r) {
        const double psi =
            step.params_by_pipeline_rank[static_cast<std::size_t>(step.pipeline_rank[r])];
        const ModelStateBytes expected =
            model_state_bytes(psi, 0, 8, 1, zero, fp32_grads ? 4.0 : 2.0);
        EXPECT_DOUBLE_EQ(testing::replay_memory(step, r, MemoryTag::weights).peak,
                         expected.weights);
        // 16-bit gradients get an fp32 copy of the optimizer's shard during its step, freed after
        // it: 4 bytes per parameter over the 8 data x context ranks from stage 1 on.
        const double copy = fp32_grads ? 0.0 : 4.0 * (zero >= 1 ? psi / 8 : psi);
        EXPECT_DOUBLE_EQ(testing::replay_memory(step, r, MemoryTag::gradients).peak,
                         expected.gradients + copy);
        EXPECT_DOUBLE_EQ(testing::replay_memory(step, r, MemoryTag::gradients).final_balance,
                         expected.gradients);
        EXPECT_DOUBLE_EQ(testing::replay_memory(step, r, MemoryTag::optimizer).peak,
                         expected.optimizer);
        // Every activation allocated in the step is freed by its end.
        EXPECT_NEAR(testing::replay_memory(step, r, MemoryTag::activations).final_balance, 0.0,
                    1e-3);
      }
    }
  }
}

TEST(UnitMemory, OneFOneBStageKHoldsPMinusKMicroBatches) {
  ModelSpec m = testing::llama_spec(16, 512, 8, 8, 1024, 4096);
  TrainingConfig t;
  t.seq_len = 128;
  t.global_batch = 32;
  for (Recompute r : {Recompute::none, Recompute::selective}) {
    ParallelConfig p;
    p.pp = 8;
    p.recompute = r;
    const StepGraph step = build(m, t, p);
    const double per_layer = layer_activation_bytes(m, t, p, rank_shapes(m, t, p), false).total();
    // Middle stages carry neither embedding nor LM head: 2 layers each, p - k micro-batches.
    for (int k = 1; k < 7; ++k) {
      const double peak =
          testing::replay_memory(step, static_cast<GraphRank>(k), MemoryTag::activations).peak;
      EXPECT_DOUBLE_EQ(peak, (8 - k) * 2 * per_layer) << "stage " << k;
    }
  }
}

TEST(UnitMemory, InterleavingAddsOnePlusPMinusOneOverPVToTheFirstStage) {
  ModelSpec m = testing::llama_spec(24, 512, 8, 8, 1024, 4096);
  TrainingConfig t;
  t.seq_len = 128;
  t.global_batch = 16;
  const int p = 4, v = 3;
  ParallelConfig cfg;
  cfg.pp = p;
  cfg.vpp = v;
  cfg.schedule = Schedule::interleaved;
  const StepGraph step = build(m, t, cfg);
  const RankShapes s = rank_shapes(m, t, cfg);
  const double per_layer = layer_activation_bytes(m, t, cfg, s, false).total();
  // Plain 1F1B: stage 0 holds p micro-batches of its L/p layers = L layers' worth.
  const double plain = 24 * per_layer;
  // Replay the layers' activation events only (label argument a is the layer; -1 marks the
  // embedding and LM head, which the formula leaves out).
  double now = 0, peak = 0;
  for (const Op& op : step.graph.ops()) {
    if (op.rank != 0 || (op.kind != OpKind::alloc && op.kind != OpKind::free)) continue;
    const MemoryEvent& e = step.graph.memory_of(op);
    if (e.tag != MemoryTag::activations || op.label.a < 0) continue;
    now += op.kind == OpKind::alloc ? e.bytes : -e.bytes;
    peak = std::max(peak, now);
  }
  EXPECT_NEAR(peak, plain * (1.0 + (p - 1.0) / (p * v)), 1e-9 * plain);
}

}  // namespace
}  // namespace ptsim
