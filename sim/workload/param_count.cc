#include "sim/workload/param_count.h"

#include <cstdint>

#include "common/check.h"

namespace ptsim {

namespace {

// Integer arithmetic keeps counts exact; a 2T-parameter model is far below 2^63.
using Count = std::int64_t;

Count norm_params(const ModelSpec& m, Count width) {
  return m.norm == NormKind::layernorm ? 2 * width : width;  // LayerNorm: weight and bias
}

Count attention_params(const ModelSpec& m) {
  const Count h = m.hidden;
  const Count heads = m.heads;
  const Count out_bias = (m.attention_out_bias || m.linear_bias) ? h : 0;
  if (m.attention == AttentionKind::mla) {
    const Count q_lora = m.mla.q_lora_rank;
    const Count kv_lora = m.mla.kv_lora_rank;
    const Count nope = m.mla.qk_nope_head_dim;
    const Count rope = m.mla.qk_rope_head_dim;
    const Count v = m.mla.v_head_dim;
    const Count in_bias = m.qkv_bias ? 1 : 0;
    Count q = 0;
    if (q_lora > 0) {
      q = h * q_lora + in_bias * q_lora      // q_a_proj
          + q_lora                           // q_a_layernorm (RMSNorm)
          + q_lora * heads * (nope + rope);  // q_b_proj
    } else {
      q = h * heads * (nope + rope);  // q_proj
    }
    const Count kv = h * (kv_lora + rope) + in_bias * (kv_lora + rope)  // kv_a_proj_with_mqa
                     + kv_lora                                          // kv_a_layernorm
                     + kv_lora * heads * (nope + v);                    // kv_b_proj
    const Count o = heads * v * h + out_bias;
    return q + kv + o;
  }
  const Count hd = m.head_dim;
  const Count kv_heads = m.kv_heads;
  const Count qkv_bias = m.qkv_bias ? (heads + 2 * kv_heads) * hd : 0;
  const Count qkv = h * (heads + 2 * kv_heads) * hd + qkv_bias;
  const Count o = heads * hd * h + out_bias;
  const Count qk_norm = m.qk_norm ? 2 * hd : 0;  // RMSNorm over head_dim on q and on k
  return qkv + o + qk_norm;
}

Count mlp_params(const ModelSpec& m, Count ffn) {
  const Count h = m.hidden;
  const bool bias = m.mlp_bias || m.linear_bias;
  if (m.mlp == MlpKind::swiglu) {
    return 3 * h * ffn + (bias ? 2 * ffn + h : 0);  // gate and up (h -> ffn), down (ffn -> h)
  }
  return 2 * h * ffn + (bias ? ffn + h : 0);  // fc (h -> ffn), proj (ffn -> h)
}

}  // namespace

ParamCounts count_params(const ModelSpec& m) {
  PTSIM_CHECK(m.hidden > 0 && m.layers > 0 && m.vocab > 0, "count_params on an empty ModelSpec");
  const Count h = m.hidden;
  const Count vocab_params = static_cast<Count>(m.vocab) * h;

  const Count embedding = vocab_params;
  const Count positions = m.position == PositionKind::learned ? Count{m.max_positions} * h : 0;
  const Count lm_head = m.tied_embeddings ? 0 : vocab_params;
  const Count final_norm = norm_params(m, h);

  const Count attention = attention_params(m);
  const Count layer_norms = 2 * norm_params(m, h);
  const Count dense_mlp = mlp_params(m, m.ffn_hidden);
  const Count per_dense = attention + layer_norms + dense_mlp;

  Count routed_expert = 0;
  Count shared = 0;
  Count router = 0;
  Count per_moe = 0;
  Count per_moe_active = 0;
  if (m.is_moe()) {
    routed_expert = mlp_params(m, m.moe.expert_ffn_hidden);
    shared = Count{m.moe.shared_experts} * mlp_params(m, m.moe.shared_expert_ffn_hidden);
    router = h * m.moe.num_experts + (m.moe.router_bias ? m.moe.num_experts : 0);
    const Count common = attention + layer_norms + router + shared;
    per_moe = common + Count{m.moe.num_experts} * routed_expert;
    per_moe_active = common + Count{m.moe.top_k} * routed_expert;
  }

  const int moe_layers = m.moe_layer_count();
  const int dense_layers = m.layers - moe_layers;
  const Count outside = embedding + positions + lm_head + final_norm;
  const Count total = outside + dense_layers * per_dense + moe_layers * per_moe;
  const Count active = outside + dense_layers * per_dense + moe_layers * per_moe_active;

  ParamCounts c;
  c.total = static_cast<double>(total);
  c.active = static_cast<double>(active);
  c.embedding = static_cast<double>(embedding);
  c.position_embedding = static_cast<double>(positions);
  c.lm_head = static_cast<double>(lm_head);
  c.final_norm = static_cast<double>(final_norm);
  c.per_dense_layer = static_cast<double>(per_dense);
  c.per_moe_layer = static_cast<double>(per_moe);
  c.per_moe_layer_active = static_cast<double>(per_moe_active);
  c.dense_layers = dense_layers;
  c.moe_layers = moe_layers;
  c.attention = static_cast<double>(attention);
  c.layer_norms = static_cast<double>(layer_norms);
  c.dense_mlp = static_cast<double>(dense_mlp);
  c.routed_expert = static_cast<double>(routed_expert);
  c.shared_experts = static_cast<double>(shared);
  c.router = static_cast<double>(router);
  return c;
}

}  // namespace ptsim
