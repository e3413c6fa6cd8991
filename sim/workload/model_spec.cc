#include "sim/workload/model_spec.h"

#include <algorithm>

namespace ptsim {

bool ModelSpec::is_moe_layer(int layer) const {
  if (!is_moe() || layer < 0 || layer >= layers) return false;
  if (layer < moe.first_dense_layers) return false;
  const int freq = std::max(moe.layer_freq, 1);
  if ((layer - moe.first_dense_layers) % freq != 0) return false;
  return std::find(moe.dense_layers.begin(), moe.dense_layers.end(), layer) ==
         moe.dense_layers.end();
}

int ModelSpec::moe_layer_count() const {
  int count = 0;
  for (int i = 0; i < layers; ++i) {
    if (is_moe_layer(i)) ++count;
  }
  return count;
}

int ModelSpec::qk_head_dim() const {
  if (attention == AttentionKind::mla) return mla.qk_nope_head_dim + mla.qk_rope_head_dim;
  return head_dim;
}

int ModelSpec::v_head_dim() const {
  if (attention == AttentionKind::mla) return mla.v_head_dim;
  return head_dim;
}

const char* architecture_name(Architecture a) {
  switch (a) {
    case Architecture::llama:
      return "LlamaForCausalLM";
    case Architecture::mistral:
      return "MistralForCausalLM";
    case Architecture::qwen2:
      return "Qwen2ForCausalLM";
    case Architecture::qwen3:
      return "Qwen3ForCausalLM";
    case Architecture::gpt2:
      return "GPT2LMHeadModel";
    case Architecture::mixtral:
      return "MixtralForCausalLM";
    case Architecture::qwen3_moe:
      return "Qwen3MoeForCausalLM";
    case Architecture::deepseek_v3:
      return "DeepseekV3ForCausalLM";
  }
  return "unknown";
}

}  // namespace ptsim
