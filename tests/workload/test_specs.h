// Hand-written model specs for builder tests, independent of the preset loader.
#pragma once

#include "sim/workload/model_spec.h"

namespace ptsim::testing {

// GPT-3 style (Megatron's test models): MHA, GELU MLP of 4h, LayerNorm with biases, learned
// positions, dropout, tied embeddings.
inline ModelSpec gpt_spec(int layers, int hidden, int heads, int vocab, int max_positions = 2048) {
  ModelSpec m;
  m.name = "gpt-test";
  m.architecture = Architecture::gpt2;
  m.hidden = hidden;
  m.layers = layers;
  m.heads = heads;
  m.kv_heads = heads;
  m.head_dim = hidden / heads;
  m.ffn_hidden = 4 * hidden;
  m.vocab = vocab;
  m.max_positions = max_positions;
  m.tied_embeddings = true;
  m.qkv_bias = true;
  m.linear_bias = true;
  m.dropout = true;
  m.mlp = MlpKind::gelu;
  m.norm = NormKind::layernorm;
  m.position = PositionKind::learned;
  return m;
}

// Llama style: GQA, SwiGLU, RMSNorm, RoPE, untied, no dropout.
inline ModelSpec llama_spec(int layers, int hidden, int heads, int kv_heads, int ffn, int vocab) {
  ModelSpec m;
  m.name = "llama-test";
  m.architecture = Architecture::llama;
  m.hidden = hidden;
  m.layers = layers;
  m.heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = hidden / heads;
  m.ffn_hidden = ffn;
  m.vocab = vocab;
  return m;
}

// Mixtral style MoE: every layer MoE, top-2 of `experts`.
inline ModelSpec moe_spec(int layers, int hidden, int heads, int kv_heads, int expert_ffn,
                          int experts, int top_k, int vocab) {
  ModelSpec m = llama_spec(layers, hidden, heads, kv_heads, expert_ffn, vocab);
  m.name = "moe-test";
  m.architecture = Architecture::mixtral;
  m.moe.num_experts = experts;
  m.moe.top_k = top_k;
  m.moe.expert_ffn_hidden = expert_ffn;
  return m;
}

// DeepSeek-V2/V3 style multi-head latent attention on a Llama body: q and kv low-rank latents,
// heads split into a position-free part and a shared rotary part.
inline ModelSpec mla_spec(int layers, int hidden, int heads, int q_lora, int kv_lora, int ffn,
                          int vocab) {
  ModelSpec m = llama_spec(layers, hidden, heads, heads, ffn, vocab);
  m.name = "mla-test";
  m.architecture = Architecture::deepseek_v3;
  m.attention = AttentionKind::mla;
  m.mla.q_lora_rank = q_lora;
  m.mla.kv_lora_rank = kv_lora;
  m.mla.qk_nope_head_dim = 128;
  m.mla.qk_rope_head_dim = 64;
  m.mla.v_head_dim = 128;
  return m;
}

}  // namespace ptsim::testing
