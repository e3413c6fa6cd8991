// Small hand-written models for planner tests: fast to simulate, yet with every feature the bounds
// must follow (GQA, SwiGLU, RoPE; GPT-style biases, dropout, learned positions and unfused
// attention; MoE with shared experts and a leading dense layer; multi-head latent attention).
#pragma once

#include "sim/workload/model_spec.h"

namespace ptsim::testing {

inline ModelSpec small_llama(int layers = 8) {
  ModelSpec m;
  m.name = "small-llama";
  m.architecture = Architecture::llama;
  m.hidden = 1024;
  m.layers = layers;
  m.heads = 16;
  m.kv_heads = 4;
  m.head_dim = 64;
  m.ffn_hidden = 2816;
  m.vocab = 32000;
  return m;
}

inline ModelSpec small_gpt() {
  ModelSpec m;
  m.name = "small-gpt";
  m.architecture = Architecture::gpt2;
  m.hidden = 768;
  m.layers = 6;
  m.heads = 12;
  m.kv_heads = 12;
  m.head_dim = 64;
  m.ffn_hidden = 3072;
  m.vocab = 50257;
  m.max_positions = 2048;
  m.tied_embeddings = true;
  m.qkv_bias = true;
  m.linear_bias = true;
  m.dropout = true;
  m.mlp = MlpKind::gelu;
  m.norm = NormKind::layernorm;
  m.position = PositionKind::learned;
  return m;
}

// DeepSeek-like MoE in miniature: a dense first layer, 8 routed experts (top 2) and a shared
// expert.
inline ModelSpec small_moe() {
  ModelSpec m = small_llama(4);
  m.name = "small-moe";
  m.architecture = Architecture::qwen3_moe;
  m.moe.num_experts = 8;
  m.moe.top_k = 2;
  m.moe.expert_ffn_hidden = 704;
  m.moe.shared_experts = 1;
  m.moe.shared_expert_ffn_hidden = 1408;
  m.moe.first_dense_layers = 1;
  return m;
}

// The same with DeepSeek's multi-head latent attention: q and kv low-rank latents (q 256, kv 128
// wide), heads of 64 + 32 rotary query/key dimensions and 64 value dimensions.
inline ModelSpec small_mla_moe() {
  ModelSpec m = small_moe();
  m.name = "small-mla-moe";
  m.architecture = Architecture::deepseek_v3;
  m.attention = AttentionKind::mla;
  m.kv_heads = m.heads;
  m.mla.q_lora_rank = 256;
  m.mla.kv_lora_rank = 128;
  m.mla.qk_nope_head_dim = 64;
  m.mla.qk_rope_head_dim = 32;
  m.mla.v_head_dim = 64;
  return m;
}

}  // namespace ptsim::testing
