// The architecture of one transformer, independent of how it is parallelised or what it runs on.
// Loaded from a Hugging Face config.json (hf_config_loader.h) or a shipped preset (presets.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptsim {

enum class Architecture : std::uint8_t {
  llama,        // LlamaForCausalLM
  mistral,      // MistralForCausalLM
  qwen2,        // Qwen2ForCausalLM
  qwen3,        // Qwen3ForCausalLM
  gpt2,         // GPT2LMHeadModel (GPT-3 style)
  mixtral,      // MixtralForCausalLM
  qwen3_moe,    // Qwen3MoeForCausalLM
  deepseek_v3,  // DeepseekV3ForCausalLM
};

enum class MlpKind : std::uint8_t { gelu, swiglu };  // swiglu = gated: gate, up, down
enum class NormKind : std::uint8_t { layernorm, rmsnorm };
enum class PositionKind : std::uint8_t { rope, learned, alibi };
enum class AttentionKind : std::uint8_t { standard, mla };  // standard covers MHA and GQA

// DeepSeek multi-head latent attention (DeepSeek-V2/V3). q_lora_rank 0 means q is projected
// directly from the hidden state.
struct MlaDims {
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

struct MoeSpec {
  int num_experts = 0;               // routed experts; 0 = dense model
  int top_k = 0;                     // routed experts per token
  int expert_ffn_hidden = 0;         // FFN width of one routed expert
  int shared_experts = 0;            // always-active experts (DeepSeek)
  int shared_expert_ffn_hidden = 0;  // width of one shared expert
  // Which layers are MoE: layer i is MoE iff i >= first_dense_layers and
  // (i - first_dense_layers) % layer_freq == 0 and i is not in dense_layers.
  int first_dense_layers = 0;
  int layer_freq = 1;
  std::vector<int> dense_layers;  // explicit dense layers (Qwen3-MoE mlp_only_layers)
  bool router_bias = false;       // per-expert bias term (DeepSeek e_score_correction_bias)
};

// Defaults of the published training recipe a preset came from.
struct TrainingRecipe {
  int seq_len = 0;
  int global_batch = 0;  // sequences per optimizer step
  std::string source;
};

struct ModelSpec {
  std::string name;
  Architecture architecture = Architecture::llama;
  int hidden = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;    // may differ from hidden / heads (Qwen3)
  int ffn_hidden = 0;  // dense MLP width (dense layers of MoE models too)
  int vocab = 0;
  int max_positions = 0;  // learned position table size (GPT-2 style); informational otherwise
  bool tied_embeddings = false;
  bool qkv_bias = false;     // bias on q, k, v projections (Qwen2, GPT-2)
  bool linear_bias = false;  // bias on every other linear layer and norms (GPT-2)
  // Finer-grained biases for configs that set them separately (Llama attention_bias / mlp_bias,
  // Qwen3 attention_bias); linear_bias implies both.
  bool attention_out_bias = false;  // bias on the attention output projection
  bool mlp_bias = false;            // bias on every MLP / expert linear layer
  bool qk_norm = false;             // RMSNorm on q and k per head (Qwen3)
  bool dropout = false;  // trained with dropout (GPT-2/3 style); Llama-style models are not
  MlpKind mlp = MlpKind::swiglu;
  NormKind norm = NormKind::rmsnorm;
  PositionKind position = PositionKind::rope;
  AttentionKind attention = AttentionKind::standard;
  MlaDims mla;
  MoeSpec moe;
  TrainingRecipe recipe;

  bool is_moe() const { return moe.num_experts > 0; }
  bool is_moe_layer(int layer) const;
  int moe_layer_count() const;
  // Per-head dims of q/k and of v (differ under MLA).
  int qk_head_dim() const;
  int v_head_dim() const;
};

const char* architecture_name(Architecture a);  // the Hugging Face class name

}  // namespace ptsim
