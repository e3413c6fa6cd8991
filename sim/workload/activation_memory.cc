#include "sim/workload/activation_memory.h"

namespace ptsim {

namespace {
constexpr double kAct = 2.0;   // bytes per stored 16-bit activation
constexpr double kMask = 1.0;  // bytes per dropout-mask element
constexpr double kFp8 = 1.0;   // bytes per fp8 element
}  // namespace

LayerActivationBytes layer_activation_bytes(const ModelSpec& m, const TrainingConfig& t,
                                            const ParallelConfig& p, const RankShapes& s,
                                            bool moe_layer) {
  const double h = m.hidden;
  const double sb_tp = s.tokens_tp;  // s*b on this context-parallel rank
  const double sb_sp = s.tokens_sp;  // s*b in the sequence-parallel region (= sb_tp without SP)
  const bool dropout = m.dropout;
  // A linear layer's input kept only for its weight gradient: an fp8 copy in fp8 training.
  const bool fp8 = t.precision == Precision::fp8;
  const double kLinearIn = fp8 ? kFp8 : kAct;
  LayerActivationBytes out;

  if (p.recompute == Recompute::full) {
    // Only the layer input (the residual stream, sequence-parallel when SP is on).
    out.attention = kAct * sb_sp * h;
    return out;
  }

  // ---- attention block ----
  // Selective recomputation drops what its modules re-run: the norm outputs (layernorm), the
  // attention core's own tensors (core_attn), the routed experts' activation outputs (moe_act),
  // everything inside the MLP or MoE block but its input (mlp, moe), MLA's up-projected query, key
  // and value heads (mla_up_proj).
  const bool norm_recomputed = p.recomputes(kRecomputeLayernorm);
  double attn = 0;
  attn += kAct * sb_sp * h;                             // norm input
  if (!norm_recomputed) attn += kLinearIn * sb_sp * h;  // q/k/v input (norm output)
  double core = 0;                                      // what core_attn recomputation drops
  if (m.attention == AttentionKind::mla) {
    // Each latent (its norm's input) and its norm output (the up-projection's input).
    const auto& a = m.mla;
    if (a.q_lora_rank > 0) attn += (kAct + kLinearIn) * sb_tp * a.q_lora_rank;
    attn += (kAct + kLinearIn) * sb_tp * s.mla_kv_down_out;
  }
  const double q = kAct * sb_tp * s.heads_local * s.head_dim_qk;
  const double k = kAct * sb_tp * s.kv_heads_local * s.head_dim_qk;
  const double v = kAct * sb_tp * s.kv_heads_local * s.head_dim_v;
  // mla_up_proj discards the up-projected (and rotated) heads once the attention core has read
  // them and rebuilds them from the stored latents in the backward.
  const bool heads_recomputed =
      m.attention == AttentionKind::mla && p.recomputes(kRecomputeMlaUpProj);
  if (!heads_recomputed) attn += q + k + v;
  const double heads_b = static_cast<double>(s.heads_local) * p.micro_batch;
  if (t.attention == AttentionImpl::unfused) {
    const double scores = heads_b * static_cast<double>(s.seq_local) * s.seq_local;
    core += kAct * scores;                                // softmax output
    if (dropout) core += kMask * scores + kAct * scores;  // dropout mask and output
  } else {
    core += 4.0 * heads_b * s.seq_local;  // fp32 log-sum-exp per query row
  }
  attn += kAct * sb_tp * s.attn_out_in_local;  // output-projection input (attention output)
  if (fp8) attn += kFp8 * sb_tp * s.attn_out_in_local;  // and its fp8 copy
  if (dropout) attn += kMask * sb_sp * h;               // dropout mask after the projection
  if (!p.recomputes(kRecomputeCoreAttn)) attn += core;
  out.attention = attn;

  // ---- MLP / MoE block ----
  double mlp = 0;
  mlp += kAct * sb_sp * h;                             // norm input
  if (!norm_recomputed) mlp += kLinearIn * sb_sp * h;  // MLP input (norm output)
  auto ffn_block = [&](double rows, double fc1_out, double ffn, bool act_recomputed) {
    // fc1 output(s) (the activation's input) and activation output (fc2's input)
    return kAct * rows * fc1_out + (act_recomputed ? 0.0 : kLinearIn * rows * ffn);
  };
  if (moe_layer) {
    if (!p.recomputes(kRecomputeMoe)) {
      const double routed_rows = s.local_experts * s.tokens_per_local_expert;
      mlp += 4.0 * sb_sp * m.moe.num_experts;  // fp32 router probabilities
      mlp += kLinearIn * routed_rows * h;      // dispatched tokens (expert input)
      mlp += ffn_block(routed_rows, s.expert_fc1_out_local, s.expert_ffn_local,
                       p.recomputes(kRecomputeMoeAct));
      mlp += kAct * routed_rows * h;  // expert outputs, for the combine
      if (s.shared_ffn_local > 0)
        mlp += ffn_block(sb_tp, s.shared_fc1_out_local, s.shared_ffn_local, false);
    }
  } else if (!p.recomputes(kRecomputeMlp)) {
    mlp += ffn_block(sb_tp, s.dense_fc1_out_local, s.dense_ffn_local, false);
  }
  if (dropout) mlp += kMask * sb_sp * h;
  out.mlp = mlp;
  return out;
}

double embedding_activation_bytes(const ModelSpec& m, const RankShapes& s) {
  return kAct * s.tokens_sp * m.hidden;
}

double head_activation_bytes(const ModelSpec& m, const RankShapes& s) {
  // Final norm input, output-layer input (gathered), fp32 logits over the vocabulary shard.
  return kAct * s.tokens_sp * m.hidden + kAct * s.tokens_tp * m.hidden +
         4.0 * s.tokens_tp * s.vocab_local;
}

}  // namespace ptsim
