#include "sim/workload/model_flops.h"

#include <algorithm>

#include "common/check.h"

namespace ptsim {

namespace {

// Forward FLOPs of one MLP of width `ffn` over `tokens` tokens: 2 per multiply-add per matrix.
double mlp_forward_flops(const ModelSpec& m, double tokens, double ffn) {
  const double matrices = m.mlp == MlpKind::swiglu ? 3 : 2;
  return 2 * tokens * matrices * m.hidden * ffn;
}

// MLA's query projection from its latent (q_b), or from the hidden state without one (q_proj),
// and the key/value up-projection (kv_b): what mla_up_proj recomputation runs again.
double mla_up_projection_flops(const ModelSpec& m, double tokens) {
  if (m.attention != AttentionKind::mla) return 0;
  const double heads = m.heads;
  const double q_in = m.mla.q_lora_rank > 0 ? m.mla.q_lora_rank : m.hidden;
  const double q = q_in * heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim);
  const double kv = m.mla.kv_lora_rank * heads * (m.mla.qk_nope_head_dim + m.mla.v_head_dim);
  return 2 * tokens * (q + kv);
}

double attention_projection_flops(const ModelSpec& m, double tokens) {
  const double h = m.hidden;
  const double heads = m.heads;
  if (m.attention == AttentionKind::mla) {
    const double q_lora = m.mla.q_lora_rank;
    const double kv_lora = m.mla.kv_lora_rank;
    const double nope = m.mla.qk_nope_head_dim;
    const double rope = m.mla.qk_rope_head_dim;
    const double v = m.mla.v_head_dim;
    const double q = q_lora > 0 ? h * q_lora + q_lora * heads * (nope + rope)  // q_a, q_b
                                : h * heads * (nope + rope);                   // q_proj
    const double kv = h * (kv_lora + rope) + kv_lora * heads * (nope + v);     // kv_a, kv_b
    const double o = heads * v * h;
    return 2 * tokens * (q + kv + o);
  }
  const double hd = m.head_dim;
  const double qkv = h * (heads + 2.0 * m.kv_heads) * hd;
  const double o = heads * hd * h;
  return 2 * tokens * (qkv + o);
}

}  // namespace

LayerFlops layer_forward_flops(const ModelSpec& m, int layer, int seq_len) {
  PTSIM_CHECK(layer >= 0 && layer < m.layers, "layer_forward_flops: layer out of range");
  PTSIM_CHECK(seq_len > 0, "layer_forward_flops: seq_len must be positive");
  const double s = seq_len;
  LayerFlops f;
  f.attention_projections_flops = attention_projection_flops(m, s);
  f.mla_up_projection_flops = mla_up_projection_flops(m, s);
  // QK^T: s x s scores per head over qk_head_dim; scores x V: over v_head_dim.
  f.attention_core_flops =
      2 * s * s * m.heads * (static_cast<double>(m.qk_head_dim()) + m.v_head_dim());
  f.attention_core_causal_flops = f.attention_core_flops / 2;
  if (m.is_moe_layer(layer)) {
    f.mlp_flops = m.moe.top_k * mlp_forward_flops(m, s, m.moe.expert_ffn_hidden) +
                  m.moe.shared_experts * mlp_forward_flops(m, s, m.moe.shared_expert_ffn_hidden);
    f.router_flops = 2 * s * m.hidden * m.moe.num_experts;
  } else {
    f.mlp_flops = mlp_forward_flops(m, s, m.ffn_hidden);
  }
  return f;
}

double lm_head_forward_flops(const ModelSpec& m, int seq_len) {
  PTSIM_CHECK(seq_len > 0, "lm_head_forward_flops: seq_len must be positive");
  return 2.0 * seq_len * m.hidden * m.vocab;
}

StepFlops step_flops(const ModelSpec& m, int seq_len, int global_batch, Recompute recompute,
                     std::uint8_t recompute_modules) {
  PTSIM_CHECK(seq_len > 0 && global_batch > 0, "step_flops: seq_len and batch must be positive");
  // Per sequence; every layer of a kind costs the same, so each kind is computed once.
  double layers_fwd = 0;
  double layers_fwd_causal = 0;
  double core_fwd = 0;
  double core_fwd_causal = 0;
  double dense_mlp_fwd = 0;  // the dense layers' MLPs
  double moe_block_fwd = 0;  // the MoE layers' routers and experts
  double mla_up_fwd = 0;     // MLA's up-projections
  const int moe_layers = m.moe_layer_count();
  const int dense_layers = m.layers - moe_layers;
  auto add = [&](int layer, int count) {
    if (count == 0) return;
    const LayerFlops f = layer_forward_flops(m, layer, seq_len);
    layers_fwd += count * f.total_flops();
    layers_fwd_causal += count * f.total_causal_flops();
    core_fwd += count * f.attention_core_flops;
    core_fwd_causal += count * f.attention_core_causal_flops;
    (m.is_moe_layer(layer) ? moe_block_fwd : dense_mlp_fwd) +=
        count * (f.mlp_flops + f.router_flops);
    mla_up_fwd += count * f.mla_up_projection_flops;
  };
  int first_dense = -1;
  int first_moe = -1;
  for (int i = 0; i < m.layers && (first_dense < 0 || first_moe < 0); ++i) {
    if (m.is_moe_layer(i)) {
      if (first_moe < 0) first_moe = i;
    } else if (first_dense < 0) {
      first_dense = i;
    }
  }
  add(first_dense, dense_layers);
  add(first_moe, moe_layers);
  const double head_fwd = lm_head_forward_flops(m, seq_len);

  const double batch = global_batch;
  auto recomputed = [&](double layers, double core) {
    switch (recompute) {
      case Recompute::none:
        return 0.0;
      case Recompute::selective: {
        double out = 0;
        if (recompute_modules & kRecomputeCoreAttn) out += core;
        if (recompute_modules & kRecomputeMlp) out += dense_mlp_fwd;
        if (recompute_modules & kRecomputeMoe) out += moe_block_fwd;
        if (recompute_modules & kRecomputeMlaUpProj) out += mla_up_fwd;
        return out;
      }
      case Recompute::full:
        return layers;
    }
    return 0.0;
  };
  StepFlops out;
  out.forward_flops = batch * (layers_fwd + head_fwd);
  out.model_flops = 3 * out.forward_flops;
  out.hardware_flops = out.model_flops + batch * recomputed(layers_fwd, core_fwd);
  out.model_causal_flops = 3 * batch * (layers_fwd_causal + head_fwd);
  out.hardware_causal_flops =
      out.model_causal_flops + batch * recomputed(layers_fwd_causal, core_fwd_causal);
  out.hardware_korthikanti22_flops =
      recompute == Recompute::selective && recompute_modules == kRecomputeCoreAttn
          ? out.model_flops + batch * 3 * core_fwd
          : out.hardware_flops;
  return out;
}

double partial_recompute_hardware_flops(const ModelSpec& m, int seq_len, int global_batch,
                                        const std::vector<int>& layers_per_stage,
                                        int recompute_layers) {
  double out = step_flops(m, seq_len, global_batch, Recompute::none).hardware_flops;
  int first = 0;
  for (const int count : layers_per_stage) {
    for (int i = 0; i < std::min(count, recompute_layers); ++i)
      out += static_cast<double>(global_batch) *
             layer_forward_flops(m, first + i, seq_len).total_flops();
    first += count;
  }
  return out;
}

}  // namespace ptsim
