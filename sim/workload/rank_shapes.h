// Per-rank sizes of one configuration: tokens each rank processes per micro-batch, the TP-local
// widths of every projection, MoE token counts, padded vocabulary, and parameters held per rank.
// Everything the graph builder, the activation-memory model and the planner's bounds share.
#pragma once

#include "cost_models/collective_kind.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim {

struct RankShapes {
  // Tokens per micro-batch on one rank: the whole micro-batch's share of the sequence after
  // context parallelism (tokens_tp, what TP-split GEMMs see) and, under sequence parallelism,
  // its 1/tp slice (tokens_sp, what norms, dropout and the residual stream hold).
  double tokens_tp = 0;
  double tokens_sp = 0;
  int seq_local = 0;  // sequence length on one context-parallel rank (seq_len / cp)

  // Attention, per rank.
  int heads_local = 0;
  int kv_heads_local = 0;
  int head_dim_qk = 0;
  int head_dim_v = 0;
  int qkv_out_local = 0;      // fused q,k,v output width (standard attention)
  int attn_out_in_local = 0;  // input width of the output projection
  // MLA (DeepSeek): down projections are duplicated on every TP rank; up projections split.
  int mla_q_up_out_local = 0;
  int mla_kv_up_out_local = 0;
  int mla_kv_down_out = 0;

  // MLP widths per rank (fc1 output includes gate and up for SwiGLU).
  int dense_fc1_out_local = 0;
  int dense_ffn_local = 0;
  int expert_fc1_out_local = 0;  // one routed expert, split by etp
  int expert_ffn_local = 0;
  int shared_fc1_out_local = 0;  // all shared experts together, split by tp
  int shared_ffn_local = 0;

  // MoE routing, per rank (etp group gathered): the busiest rank's routed tokens.
  int local_experts = 0;
  double routed_tokens_sent = 0;  // (token, expert) pairs this rank dispatches
  double tokens_per_local_expert =
      0;  // rows of each local expert GEMM (imbalance/capacity applied)

  int vocab_padded = 0;  // Megatron pads to a multiple of 128 x tp
  int vocab_local = 0;

  // Parameters held by one rank (elements), by where their gradients are reduced.
  double layer_dense_params = 0;  // one dense transformer layer (attention + MLP), TP-split
  double layer_moe_params_dense_part =
      0;  // attention, norms, router, shared experts of a MoE layer
  double layer_moe_params_expert_part = 0;  // routed experts on this rank
  double embedding_params = 0;              // vocabulary shard (+ learned positions)
  double lm_head_params = 0;                // untied output layer shard (0 when tied and pp == 1)
  double final_norm_params = 0;
};

RankShapes rank_shapes(const ModelSpec& m, const TrainingConfig& t, const ParallelConfig& p);

// How an expert all-to-all (dispatch or combine) travels: with DeepEP once per node holding one of
// a token's top-k experts, otherwise as a plain all-to-all. The builder issues it so and the
// planner's bounds time it so.
DomainDedup expert_a2a_dedup(const ModelSpec& m, const ParallelConfig& p);

// Bytes per element of GEMM operands for a precision (activations stay 16-bit when stored).
double gemm_operand_bytes(Precision precision);

}  // namespace ptsim
