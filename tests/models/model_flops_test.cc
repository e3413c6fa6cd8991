// Training FLOPs against the closed forms of formulas.md §3 (Megatron 2021 eq. 3, Korthikanti
// 2022 Appendix A eqs. 7-8), the GPT-3 175B row of Korthikanti Table 5, and hand derivations for
// GQA, MoE and MLA layers.
#include "sim/workload/model_flops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/rng.h"
#include "model_test_util.h"
#include "sim/workload/param_count.h"

namespace ptsim {
namespace {

using testing_util::gpt2_config;
using testing_util::preset;
using testing_util::spec_from_text;

// The closed forms are products; the code sums per-part FLOPs. Both are exact up to rounding of
// ~10 double operations, far below 1e-12.
constexpr double kClosedFormTolerance = 1e-12;

void expect_rel(double actual, double expected, double tolerance) {
  EXPECT_NEAR(actual / expected, 1.0, tolerance) << actual << " vs " << expected;
}

TEST(PropertyModelFlops, GptStyleStepFlopsEqualMegatronClosedForms) {
  Rng rng(20240611);
  for (int trial = 0; trial < 100; ++trial) {
    const int heads = static_cast<int>(rng.uniform_int(1, 128));
    const int head_dim = static_cast<int>(rng.pick(std::vector<int>{32, 64, 80, 128}));
    const double h = double{1} * heads * head_dim;
    const double L = static_cast<double>(rng.uniform_int(1, 160));
    const double v = static_cast<double>(rng.uniform_int(1000, 262144));
    const double s = static_cast<double>(rng.uniform_int(1, 32768));
    const double B = static_cast<double>(rng.uniform_int(1, 4096));
    const ModelSpec m = spec_from_text(
        gpt2_config(static_cast<int>(h), static_cast<int>(L), heads, static_cast<int>(v), 2048));
    const int seq = static_cast<int>(s);
    const int batch = static_cast<int>(B);
    const double base = 72 * B * L * s * h * h;

    // Korthikanti eq. 7: model FLOPs, forward + backward, no recompute.
    const double eq7 = base * (1 + s / (6 * h) + v / (12 * h * L));
    // Narayanan eq. 3: full recompute runs every layer's forward twice.
    const double eq3 = 96 * B * s * L * h * h * (1 + s / (6 * h) + v / (16 * L * h));
    // Selective recompute runs the attention core forward (4Bs^2h per layer) once more.
    const double selective = base * (1 + 2 * s / (9 * h) + v / (12 * h * L));
    // Korthikanti eq. 8 as printed.
    const double eq8 = base * (1 + s / (3 * h) + v / (12 * h * L));

    const StepFlops none = step_flops(m, seq, batch, Recompute::none);
    const StepFlops sel = step_flops(m, seq, batch, Recompute::selective);
    const StepFlops full = step_flops(m, seq, batch, Recompute::full);
    expect_rel(none.model_flops, eq7, kClosedFormTolerance);
    expect_rel(none.hardware_flops, eq7, kClosedFormTolerance);
    expect_rel(sel.model_flops, eq7, kClosedFormTolerance);
    expect_rel(sel.hardware_flops, selective, kClosedFormTolerance);
    expect_rel(sel.hardware_korthikanti22_flops, eq8, kClosedFormTolerance);
    expect_rel(full.model_flops, eq7, kClosedFormTolerance);
    expect_rel(full.hardware_flops, eq3, kClosedFormTolerance);
    expect_rel(full.hardware_korthikanti22_flops, eq3, kClosedFormTolerance);
  }
}

// Korthikanti Appendix A, one GPT layer's forward: QKV 6Bsh^2, QK^T 2Bs^2h, attention x V 2Bs^2h,
// output projection 2Bsh^2, MLP 16Bsh^2; logits 2Bshv (B = 1 here).
TEST(UnitModelFlops, GptLayerPartsMatchKorthikantiAppendixA) {
  const ModelSpec m = spec_from_text(gpt2_config(1024, 4, 16, 50000, 2048));
  const double s = 512, h = 1024;
  const LayerFlops f = layer_forward_flops(m, 0, 512);
  EXPECT_EQ(f.attention_projections_flops, 6 * s * h * h + 2 * s * h * h);
  EXPECT_EQ(f.attention_core_flops, 4 * s * s * h);
  EXPECT_EQ(f.attention_core_causal_flops, 2 * s * s * h);
  EXPECT_EQ(f.mlp_flops, 16 * s * h * h);
  EXPECT_EQ(f.router_flops, 0);
  EXPECT_EQ(lm_head_forward_flops(m, 512), 2 * s * h * 50000);
}

// formulas.md 3c: GPT-3 175B, B = 64, s = 2048, v = 51200 (Megatron pads 50257 to a multiple of
// 1024), 64 A100 at 312 TFLOP/s, 13.75 s per iteration with selective recompute: model FLOPs
// 1.4109e17, MFU 51.39%, HFU 52.77% (paper: 51.4% and 52.8%). The percentages are given to two
// decimals, hence the 0.005-point tolerance.
TEST(ValidationModelFlops, Gpt3TableFiveMfuAndHfuReproduce) {
  ModelSpec m = preset("gpt3-175b");
  m.vocab = 51200;
  const StepFlops f = step_flops(m, 2048, 64, Recompute::selective);
  const double peak_flops = 64 * 312e12 * 13.75;
  expect_rel(f.model_flops, 1.4109e17, 1e-4);
  EXPECT_NEAR(100 * f.model_flops / peak_flops, 51.39, 0.005);
  EXPECT_NEAR(100 * f.hardware_korthikanti22_flops / peak_flops, 52.77, 0.005);
  // Counting only the one extra core forward selective recompute executes gives less.
  EXPECT_NEAR(100 * f.hardware_flops / peak_flops, 51.85, 0.005);
}

// Llama 3 8B per token: q 4096 x 4096, k and v 4096 x (8 x 128) each, o 4096 x 4096.
TEST(UnitModelFlops, GroupedQueryAttentionSizesKeysAndValuesByKvHeads) {
  const ModelSpec m = preset("llama3-8b");
  const LayerFlops f = layer_forward_flops(m, 0, 1);
  EXPECT_EQ(f.attention_projections_flops, 2.0 * (4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096));
  EXPECT_EQ(f.mlp_flops, 2.0 * 3 * 4096 * 14336);
}

// DeepSeek-V3 per token (config.json): q_a 7168x1536, q_b 1536x(128x192), kv_a 7168x576,
// kv_b 512x(128x256), o (128x128)x7168; core QK^T over 192 dims and x V over 128 per head.
TEST(UnitModelFlops, MlaCountsItsLowRankProjectionsAndSplitHeadDims) {
  const ModelSpec m = preset("deepseek-v3");
  const double s = 4096;
  const LayerFlops f = layer_forward_flops(m, 10, 4096);
  const double weights =
      7168.0 * 1536 + 1536.0 * 128 * 192 + 7168.0 * 576 + 512.0 * 128 * 256 + 128.0 * 128 * 7168;
  EXPECT_EQ(f.attention_projections_flops, 2 * s * weights);
  EXPECT_EQ(f.attention_core_flops, 2 * s * s * 128 * (192 + 128));
  // 8 routed + 1 shared expert of width 2048, and the 256-way router.
  EXPECT_EQ(f.mlp_flops, 2 * s * 3 * 7168 * 2048 * 9);
  EXPECT_EQ(f.router_flops, 2 * s * 7168 * 256);
  // The first three layers are dense, 18432 wide, without a router.
  const LayerFlops dense = layer_forward_flops(m, 0, 4096);
  EXPECT_EQ(dense.mlp_flops, 2 * s * 3 * 7168 * 18432);
  EXPECT_EQ(dense.router_flops, 0);
  // The up-projections alone (q_b and kv_b), what mla_up_proj recomputation runs again.
  EXPECT_EQ(f.mla_up_projection_flops, 2 * s * (1536.0 * 128 * 192 + 512.0 * 128 * 256));
  EXPECT_EQ(layer_forward_flops(preset("llama3-8b"), 0, 4096).mla_up_projection_flops, 0);
}

// Selective recomputation of mla_up_proj adds one more forward of every layer's q_b and kv_b to
// the hardware FLOPs (61 layers of DeepSeek-V3, all MLA), and nothing to the model FLOPs.
TEST(UnitModelFlops, MlaUpProjectionRecomputeAddsTheUpProjectionsOnce) {
  const ModelSpec m = preset("deepseek-v3");
  const double s = 4096;
  const int batch = 3;
  const StepFlops none = step_flops(m, 4096, batch, Recompute::none);
  const StepFlops up = step_flops(m, 4096, batch, Recompute::selective, kRecomputeMlaUpProj);
  EXPECT_EQ(up.model_flops, none.model_flops);
  expect_rel(up.hardware_flops - none.hardware_flops,
             batch * 61 * 2 * s * (1536.0 * 128 * 192 + 512.0 * 128 * 256), kClosedFormTolerance);
  // Without MLA the module re-runs nothing.
  const ModelSpec llama = preset("llama3-8b");
  EXPECT_EQ(
      step_flops(llama, 4096, batch, Recompute::selective, kRecomputeMlaUpProj).hardware_flops,
      step_flops(llama, 4096, batch, Recompute::none).hardware_flops);
}

// Forward matmul FLOPs per token are 2 x the matmul weights a token uses: the active parameters
// less those that are not matmuls (norms, router bias, the input embedding table when untied;
// a tied table is the LM head's matmul weight). Ties param_count to model_flops.
TEST(PropertyModelFlops, ForwardMatmulFlopsPerTokenAreTwiceTheActiveMatmulWeights) {
  const ModelSpec llama = preset("llama3-70b");
  const ModelSpec mixtral = preset("mixtral-8x7b");
  const ModelSpec qwen = preset("qwen3-235b-a22b");
  const ModelSpec deepseek = preset("deepseek-v3");
  const struct {
    const ModelSpec* m;
    double layer_non_matmul;  // norms (and router bias) per layer, all layers alike
    double extra_non_matmul;  // outside the layers: embedding table and final norm
  } cases[] = {
      {&llama, 2 * 8192.0, 128256.0 * 8192 + 8192},
      {&mixtral, 2 * 4096.0, 32000.0 * 4096 + 4096},
      {&qwen, 2 * 4096.0 + 2 * 128, 151936.0 * 4096 + 4096},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.m->name);
    const ParamCounts p = count_params(*c.m);
    double forward_per_token = lm_head_forward_flops(*c.m, 1);
    for (int i = 0; i < c.m->layers; ++i) {
      const LayerFlops f = layer_forward_flops(*c.m, i, 1);
      forward_per_token += f.attention_projections_flops + f.mlp_flops + f.router_flops;
    }
    const double matmul_weights = p.active - c.m->layers * c.layer_non_matmul - c.extra_non_matmul;
    EXPECT_EQ(forward_per_token, 2 * matmul_weights);
  }
  // DeepSeek-V3: per layer also the q/kv latent norms (1536 + 512), and on MoE layers the
  // 256-entry correction bias.
  const ParamCounts p = count_params(deepseek);
  double forward_per_token = lm_head_forward_flops(deepseek, 1);
  for (int i = 0; i < deepseek.layers; ++i) {
    const LayerFlops f = layer_forward_flops(deepseek, i, 1);
    forward_per_token += f.attention_projections_flops + f.mlp_flops + f.router_flops;
  }
  const double non_matmul = 61 * (2 * 7168.0 + 1536 + 512) + 58 * 256.0 + 129280.0 * 7168 + 7168;
  EXPECT_EQ(forward_per_token, 2 * (p.active - non_matmul));
}

TEST(PropertyModelFlops, RecomputeOnlyAddsWorkAndCausalMaskingOnlyRemovesIt) {
  for (const std::string& name : preset_names()) {
    SCOPED_TRACE(name);
    const ModelSpec m = preset(name);
    const int s = m.recipe.seq_len;
    const StepFlops none = step_flops(m, s, 8, Recompute::none);
    const StepFlops sel = step_flops(m, s, 8, Recompute::selective);
    const StepFlops full = step_flops(m, s, 8, Recompute::full);
    EXPECT_EQ(none.hardware_flops, none.model_flops);
    EXPECT_EQ(none.model_flops, 3 * none.forward_flops);  // backward = 2 x forward
    EXPECT_LT(none.model_flops, sel.hardware_flops);
    EXPECT_LT(sel.hardware_flops, full.hardware_flops);
    EXPECT_LT(none.model_causal_flops, none.model_flops);
    EXPECT_LT(sel.hardware_causal_flops, sel.hardware_flops);
    EXPECT_EQ(sel.model_flops, none.model_flops);
    EXPECT_EQ(full.model_flops, none.model_flops);
  }
}

// Causal masking halves exactly the s^2 terms: for a GPT model, model FLOPs fall by 6BLs^2h
// (half of the 12BLs^2h core in forward + backward).
TEST(UnitModelFlops, CausalCountRemovesHalfTheCoreFromEveryPass) {
  const ModelSpec m = spec_from_text(gpt2_config(2048, 24, 16, 50257, 2048));
  const double B = 4, L = 24, s = 2048, h = 2048;
  const StepFlops f = step_flops(m, 2048, 4, Recompute::selective);
  EXPECT_EQ(f.model_flops - f.model_causal_flops, 6 * B * L * s * s * h);
  // Selective recompute's extra core forward is halved too.
  EXPECT_EQ(f.hardware_flops - f.hardware_causal_flops, 8 * B * L * s * s * h);
}

}  // namespace
}  // namespace ptsim
