#include "sim/workload/rank_shapes.h"

#include <algorithm>
#include <cmath>

namespace ptsim {

double gemm_operand_bytes(Precision precision) {
  return precision == Precision::fp8 ? 1.0 : 2.0;
}

RankShapes rank_shapes(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p) {
  RankShapes s;
  const int tp = p.tp;
  s.seq_local = t.seq_len / p.cp;
  s.tokens_tp = static_cast<double>(p.micro_batch) * s.seq_local;
  s.tokens_sp = p.sequence_parallel ? s.tokens_tp / tp : s.tokens_tp;

  const double h = m.hidden;
  const double norm = m.norm == NormKind::layernorm ? 2.0 * h : h;  // weight (+ bias)
  const double out_bias = (m.linear_bias || m.attention_out_bias) ? 1.0 : 0.0;
  const double mlp_bias = (m.linear_bias || m.mlp_bias) ? 1.0 : 0.0;

  // Attention.
  s.heads_local = m.heads / tp;
  s.head_dim_qk = m.qk_head_dim();
  s.head_dim_v = m.v_head_dim();
  double attn_params = 0;
  if (m.attention == AttentionKind::mla) {
    const auto& a = m.mla;
    s.kv_heads_local = s.heads_local;  // MHA after the up-projection
    s.mla_q_up_out_local = s.heads_local * (a.qk_nope_head_dim + a.qk_rope_head_dim);
    s.mla_kv_up_out_local = s.heads_local * (a.qk_nope_head_dim + a.v_head_dim);
    s.mla_kv_down_out = a.kv_lora_rank + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      attn_params += h * a.q_lora_rank + a.q_lora_rank;  // q down (dup) + q norm
      attn_params += static_cast<double>(a.q_lora_rank) * s.mla_q_up_out_local;  // q up (split)
    } else {
      attn_params += h * s.mla_q_up_out_local;
    }
    attn_params += h * s.mla_kv_down_out + a.kv_lora_rank;  // kv down (dup) + kv norm
    attn_params += static_cast<double>(a.kv_lora_rank) * s.mla_kv_up_out_local;
  } else {
    s.kv_heads_local = m.kv_heads / tp;
    s.qkv_out_local = (s.heads_local + 2 * s.kv_heads_local) * s.head_dim_qk;
    attn_params += h * s.qkv_out_local;
    if (m.qkv_bias) attn_params += s.qkv_out_local;
    if (m.qk_norm) attn_params += 2.0 * s.head_dim_qk;  // per-head RMSNorm weights (duplicated)
  }
  s.attn_out_in_local = s.heads_local * s.head_dim_v;
  attn_params += static_cast<double>(s.attn_out_in_local) * h + out_bias * h;
  attn_params += 2 * norm;  // the two norms of the layer (duplicated on every TP rank)

  // Dense MLP.
  const int gate = m.mlp == MlpKind::swiglu ? 2 : 1;
  s.dense_ffn_local = m.ffn_hidden / tp;
  s.dense_fc1_out_local = gate * s.dense_ffn_local;
  const double dense_mlp = h * s.dense_fc1_out_local + static_cast<double>(s.dense_ffn_local) * h +
                           mlp_bias * (s.dense_fc1_out_local + h);
  s.layer_dense_params = attn_params + dense_mlp;

  // MoE.
  if (m.is_moe()) {
    const auto& e = m.moe;
    s.local_experts = e.num_experts / p.ep;
    s.expert_ffn_local = e.expert_ffn_hidden / p.etp;
    s.expert_fc1_out_local = gate * s.expert_ffn_local;
    s.shared_ffn_local = e.shared_experts * e.shared_expert_ffn_hidden / tp;
    s.shared_fc1_out_local = gate * s.shared_ffn_local;
    const double router = h * e.num_experts + (e.router_bias ? e.num_experts : 0);
    const double shared = h * s.shared_fc1_out_local + static_cast<double>(s.shared_ffn_local) * h;
    s.layer_moe_params_dense_part = attn_params + router + shared;
    s.layer_moe_params_expert_part =
        s.local_experts *
        (h * s.expert_fc1_out_local + static_cast<double>(s.expert_ffn_local) * h);
    // Routing: every token of this rank's sequence-parallel slice picks top_k experts.
    const double tokens_here = p.sequence_parallel ? s.tokens_tp / tp : s.tokens_tp;
    s.routed_tokens_sent = tokens_here * e.top_k;
    const double mean_per_expert =
        s.routed_tokens_sent * p.ep * p.etp / static_cast<double>(e.num_experts);
    const double load =
        t.moe_capacity_factor > 0 ? t.moe_capacity_factor : std::max(1.0, t.moe_imbalance);
    s.tokens_per_local_expert = mean_per_expert * load;
  }

  // Vocabulary (Megatron --make-vocab-size-divisible-by 128, times tp).
  const int multiple = 128 * tp;
  s.vocab_padded = (m.vocab + multiple - 1) / multiple * multiple;
  s.vocab_local = s.vocab_padded / tp;
  s.embedding_params = static_cast<double>(s.vocab_local) * h;
  if (m.position == PositionKind::learned)
    s.embedding_params += static_cast<double>(m.max_positions) * h;
  s.lm_head_params =
      (m.tied_embeddings && p.pp == 1) ? 0.0 : static_cast<double>(s.vocab_local) * h;
  s.final_norm_params = norm;
  return s;
}

DomainDedup expert_a2a_dedup(const ModelSpec& m, const ParallelConfig& p) {
  if (p.moe_dispatcher != MoeDispatcher::deepep || !m.is_moe()) return {};
  return DomainDedup{static_cast<std::uint32_t>(m.moe.top_k),
                     static_cast<std::uint32_t>(m.moe.num_experts)};
}

}  // namespace ptsim
