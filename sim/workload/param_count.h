// Exact parameter counts of a ModelSpec: every weight and bias of the Hugging Face implementation,
// total and active per token, with a per-part breakdown.
//
// What is counted: token embedding (once when tied to the LM head), learned positions (GPT-2),
// q/k/v/o projections with their biases (grouped-query attention sizes k and v by kv_heads x
// head_dim), Qwen3's per-head q/k RMSNorms, MLA's low-rank projections (q_a, q_b, kv_a with the
// decoupled RoPE key, kv_b, o) and the RMSNorms on its two latents, dense MLPs (gated or not, with
// biases where present), routers with DeepSeek's per-expert correction bias, routed and shared
// experts, the two norms of every layer (LayerNorm has weight and bias, RMSNorm a weight), the
// final norm and the LM head. Left out: buffers that are not trained (RoPE frequencies), and
// DeepSeek-V3's multi-token-prediction module (its published 671B excludes it).
//
// "Active" is what one token's forward pass reads: everything except the routed experts it is not
// sent to (top_k of num_experts). Embedding and LM head count in full, as in the published active
// counts of Mixtral (12.9B) and Qwen3 (22B).
//
// Validated by tests/models/param_count_test.cc: published totals (Llama 3 8B 8.03B, 70B 70.6B,
// 405B 405.8B, Mixtral 8x7B 46.7B / 12.9B active, DeepSeek-V3 671B, GPT-3 175B) and a tiny config
// of every architecture counted term by term in the test.
#pragma once

#include "sim/workload/model_spec.h"

namespace ptsim {

struct ParamCounts {
  double total = 0;   // every trained weight, once
  double active = 0;  // weights one token uses (routed experts: top_k of num_experts)

  // Outside the decoder layers.
  double embedding = 0;           // token embedding table, vocab x hidden
  double position_embedding = 0;  // learned position table (GPT-2); 0 for RoPE
  double lm_head = 0;             // output projection; 0 when tied to the embedding
  double final_norm = 0;

  // Whole layers. total = embedding + position_embedding + lm_head + final_norm
  //                     + dense_layers * per_dense_layer + moe_layers * per_moe_layer.
  double per_dense_layer = 0;       // attention + layer_norms + dense_mlp
  double per_moe_layer = 0;         // attention + layer_norms + router + all experts + shared
  double per_moe_layer_active = 0;  // the same with top_k routed experts
  int dense_layers = 0;
  int moe_layers = 0;

  // Parts of one layer.
  double attention = 0;    // projections, their biases, and q/k or MLA latent norms
  double layer_norms = 0;  // the norm before attention and the norm before the MLP
  double dense_mlp = 0;
  double routed_expert = 0;   // one routed expert
  double shared_experts = 0;  // all shared experts of one MoE layer
  double router = 0;          // router weight and bias of one MoE layer
};

ParamCounts count_params(const ModelSpec& m);

}  // namespace ptsim
