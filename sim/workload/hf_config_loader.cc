// How each Hugging Face class maps onto ModelSpec. Defaults for absent keys follow the
// `transformers` config classes; keys whose defaults differ between versions or classes (head_dim
// of Qwen3, the DeepSeek MoE layout) are required instead of guessed.
#include "sim/workload/hf_config_loader.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <utility>

namespace ptsim {

namespace {

struct ArchitectureEntry {
  const char* class_name;
  const char* model_type;
  Architecture architecture;
};

// Sorted by class name, so error messages list them in a stable order.
constexpr ArchitectureEntry kArchitectures[] = {
    {"DeepseekV3ForCausalLM", "deepseek_v3", Architecture::deepseek_v3},
    {"GPT2LMHeadModel", "gpt2", Architecture::gpt2},
    {"LlamaForCausalLM", "llama", Architecture::llama},
    {"MistralForCausalLM", "mistral", Architecture::mistral},
    {"MixtralForCausalLM", "mixtral", Architecture::mixtral},
    {"Qwen2ForCausalLM", "qwen2", Architecture::qwen2},
    {"Qwen3ForCausalLM", "qwen3", Architecture::qwen3},
    {"Qwen3MoeForCausalLM", "qwen3_moe", Architecture::qwen3_moe},
};

std::string supported_list() {
  std::string out;
  for (const auto& e : kArchitectures) {
    if (!out.empty()) out += ", ";
    out += e.class_name;
  }
  return out;
}

// Typed access to config keys. Accessors throw InputException naming source and JSON pointer.
class ConfigReader {
 public:
  ConfigReader(const Json& json, const std::string& source) : object_(json, source, "") {}

  bool present(std::string_view key) {
    const Json* v = object_.find(key);
    return v != nullptr && !v->is_null();
  }

  int positive_int(std::string_view key) { return to_int(key, object_.positive_integer(key)); }

  int positive_int_or(std::string_view key, int fallback) {
    return present(key) ? positive_int(key) : fallback;
  }

  int non_negative_int_or(std::string_view key, int fallback) {
    if (!present(key)) return fallback;
    const std::int64_t v = object_.integer(key);
    if (v < 0) fail(key, "must not be negative, got " + std::to_string(v));
    return to_int(key, v);
  }

  double non_negative_number_or(std::string_view key, double fallback) {
    if (!present(key)) return fallback;
    const double v = object_.number(key);
    if (v < 0) fail(key, "must not be negative");
    return v;
  }

  bool bool_or(std::string_view key, bool fallback) {
    return present(key) ? object_.boolean(key) : fallback;
  }

  std::optional<std::string> string_if_present(std::string_view key) {
    if (!present(key)) return std::nullopt;
    return object_.string(key);
  }

  // A list of layer indices, each in [0, layers).
  std::vector<int> layer_list_or_empty(std::string_view key, int layers) {
    std::vector<int> out;
    if (!present(key)) return out;
    const Json& list = object_.at(key);
    if (!list.is_array()) fail(key, "expected a list of layer indices, found " + list.dump());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Json& item = list[i];
      const std::string pointer = json_pointer_index(object_.pointer(key), i);
      if (!item.is_number_integer()) {
        throw_input_error(object_.source(), pointer,
                          "expected a layer index, found " + item.dump());
      }
      const std::int64_t v = item.get<std::int64_t>();
      if (v < 0 || v >= layers) {
        throw_input_error(
            object_.source(), pointer,
            "layer index " + std::to_string(v) + " is outside [0, " + std::to_string(layers) + ")");
      }
      out.push_back(static_cast<int>(v));
    }
    return out;
  }

  const Json* find(std::string_view key) { return object_.find(key); }
  StrictObject& object() { return object_; }
  [[noreturn]] void fail(std::string_view key, const std::string& message) const {
    object_.fail(key, message);
  }

 private:
  int to_int(std::string_view key, std::int64_t v) const {
    if (v > INT_MAX) fail(key, "must be at most " + std::to_string(INT_MAX));
    return static_cast<int>(v);
  }

  StrictObject object_;
};

Architecture read_architecture(ConfigReader& r) {
  if (const Json* list = r.find("architectures"); list != nullptr && !list->is_null()) {
    if (!list->is_array() || list->empty() || !(*list)[0].is_string()) {
      r.fail("architectures", "expected a list of model class names, found " + list->dump());
    }
    const std::string name = (*list)[0].get<std::string>();
    for (const auto& e : kArchitectures) {
      if (name == e.class_name) return e.architecture;
    }
    throw_input_error(r.object().source(), "/architectures/0",
                      "unsupported architecture \"" + name + "\"; supported: " + supported_list());
  }
  // Older configs name only the model type.
  if (auto type = r.string_if_present("model_type")) {
    for (const auto& e : kArchitectures) {
      if (*type == e.model_type) return e.architecture;
    }
    r.fail("model_type",
           "unsupported model_type \"" + *type + "\"; supported: " + supported_list());
  }
  r.fail("architectures", "missing required key");
}

// Keys every Llama-like decoder needs. head_dim defaults to hidden / heads unless `need_head_dim`.
void read_decoder_shape(ConfigReader& r, ModelSpec& m, bool need_head_dim) {
  m.hidden = r.positive_int("hidden_size");
  m.layers = r.positive_int("num_hidden_layers");
  m.heads = r.positive_int("num_attention_heads");
  // Configs written before grouped-query attention omit it: every head has its own k and v.
  m.kv_heads = r.positive_int_or("num_key_value_heads", m.heads);
  m.dropout = r.non_negative_number_or("attention_dropout", 0.0) > 0;
  if (m.heads % m.kv_heads != 0) {
    r.fail("num_key_value_heads", "num_attention_heads (" + std::to_string(m.heads) +
                                      ") is not divisible by num_key_value_heads (" +
                                      std::to_string(m.kv_heads) + ")");
  }
  if (need_head_dim || r.present("head_dim")) {
    m.head_dim = r.positive_int("head_dim");
  } else {
    if (m.hidden % m.heads != 0) {
      r.fail("num_attention_heads", "hidden_size (" + std::to_string(m.hidden) +
                                        ") is not divisible by num_attention_heads (" +
                                        std::to_string(m.heads) + ") and head_dim is not given");
    }
    m.head_dim = m.hidden / m.heads;
  }
  m.ffn_hidden = r.positive_int("intermediate_size");
  m.vocab = r.positive_int("vocab_size");
  m.max_positions = r.non_negative_int_or("max_position_embeddings", 0);
  m.tied_embeddings = r.bool_or("tie_word_embeddings", false);
  m.mlp = MlpKind::swiglu;
  m.norm = NormKind::rmsnorm;
  m.position = PositionKind::rope;
}

// Llama and Qwen3 `attention_bias` puts a bias on q, k, v and o.
void read_attention_bias(ConfigReader& r, ModelSpec& m) {
  const bool bias = r.bool_or("attention_bias", false);
  m.qkv_bias = bias;
  m.attention_out_bias = bias;
}

void read_top_k(ConfigReader& r, ModelSpec& m) {
  m.moe.top_k = r.positive_int("num_experts_per_tok");
  if (m.moe.top_k > m.moe.num_experts) {
    r.fail("num_experts_per_tok", "must not exceed the number of routed experts (" +
                                      std::to_string(m.moe.num_experts) + "), got " +
                                      std::to_string(m.moe.top_k));
  }
}

void read_gpt2(ConfigReader& r, ModelSpec& m) {
  m.hidden = r.positive_int("n_embd");
  m.layers = r.positive_int("n_layer");
  m.heads = r.positive_int("n_head");
  if (m.hidden % m.heads != 0) {
    r.fail("n_head", "n_embd (" + std::to_string(m.hidden) + ") is not divisible by n_head (" +
                         std::to_string(m.heads) + ")");
  }
  m.kv_heads = m.heads;
  m.head_dim = m.hidden / m.heads;
  m.max_positions = r.positive_int("n_positions");
  m.vocab = r.positive_int("vocab_size");
  // transformers: n_inner None means 4 * n_embd.
  m.ffn_hidden = r.positive_int_or("n_inner", 4 * m.hidden);
  // GPT2LMHeadModel always shares the token embedding with the LM head unless told otherwise.
  m.tied_embeddings = r.bool_or("tie_word_embeddings", true);
  m.mlp = MlpKind::gelu;
  m.norm = NormKind::layernorm;
  m.position = PositionKind::learned;
  m.qkv_bias = true;
  m.linear_bias = true;
  m.attention_out_bias = true;
  m.mlp_bias = true;
  // transformers defaults: 0.1 for each of resid/attn/embd dropout.
  m.dropout = r.non_negative_number_or("resid_pdrop", 0.1) > 0 ||
              r.non_negative_number_or("attn_pdrop", 0.1) > 0 ||
              r.non_negative_number_or("embd_pdrop", 0.1) > 0;
}

void read_mixtral(ConfigReader& r, ModelSpec& m) {
  read_decoder_shape(r, m, false);
  m.moe.num_experts = r.positive_int("num_local_experts");
  read_top_k(r, m);
  m.moe.expert_ffn_hidden = m.ffn_hidden;
}

void read_qwen3_moe(ConfigReader& r, ModelSpec& m) {
  read_decoder_shape(r, m, true);
  read_attention_bias(r, m);
  m.qk_norm = true;
  m.moe.num_experts = r.positive_int("num_experts");
  read_top_k(r, m);
  m.moe.expert_ffn_hidden = r.positive_int("moe_intermediate_size");
  // transformers: layer i is sparse iff i is not in mlp_only_layers and (i + 1) % step == 0.
  // ModelSpec counts from the first layer, so every dense layer is listed explicitly.
  const int step = r.positive_int_or("decoder_sparse_step", 1);
  const std::vector<int> mlp_only = r.layer_list_or_empty("mlp_only_layers", m.layers);
  for (int i = 0; i < m.layers; ++i) {
    const bool listed = std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end();
    if (listed || (i + 1) % step != 0) m.moe.dense_layers.push_back(i);
  }
}

void read_deepseek_v3(ConfigReader& r, ModelSpec& m) {
  m.hidden = r.positive_int("hidden_size");
  m.layers = r.positive_int("num_hidden_layers");
  m.heads = r.positive_int("num_attention_heads");
  m.kv_heads = m.heads;  // MLA expands the shared latent into per-head keys and values
  m.attention = AttentionKind::mla;
  m.mla.q_lora_rank = r.non_negative_int_or("q_lora_rank", 0);  // null: q projected directly
  m.mla.kv_lora_rank = r.positive_int("kv_lora_rank");
  m.mla.qk_nope_head_dim = r.positive_int("qk_nope_head_dim");
  m.mla.qk_rope_head_dim = r.positive_int("qk_rope_head_dim");
  m.mla.v_head_dim = r.positive_int("v_head_dim");
  m.head_dim = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
  m.ffn_hidden = r.positive_int("intermediate_size");
  m.vocab = r.positive_int("vocab_size");
  m.max_positions = r.non_negative_int_or("max_position_embeddings", 0);
  m.tied_embeddings = r.bool_or("tie_word_embeddings", false);
  // attention_bias puts a bias on q_a_proj, kv_a_proj_with_mqa and o_proj (DeepSeek's modeling
  // code).
  read_attention_bias(r, m);

  m.moe.num_experts = r.positive_int("n_routed_experts");
  read_top_k(r, m);
  m.moe.expert_ffn_hidden = r.positive_int("moe_intermediate_size");
  m.moe.shared_experts = r.non_negative_int_or("n_shared_experts", -1);
  if (m.moe.shared_experts < 0) r.fail("n_shared_experts", "missing required key");
  m.moe.shared_expert_ffn_hidden = m.moe.expert_ffn_hidden;
  m.moe.first_dense_layers = r.non_negative_int_or("first_k_dense_replace", -1);
  if (m.moe.first_dense_layers < 0) r.fail("first_k_dense_replace", "missing required key");
  if (m.moe.first_dense_layers > m.layers) {
    r.fail("first_k_dense_replace", "must not exceed num_hidden_layers (" +
                                        std::to_string(m.layers) + "), got " +
                                        std::to_string(m.moe.first_dense_layers));
  }
  // DeepSeek's rule is `i >= first_k_dense_replace and i % moe_layer_freq == 0` (not counted from
  // the first sparse layer), so layers that rule makes dense are listed explicitly.
  const int freq = r.positive_int_or("moe_layer_freq", 1);
  for (int i = m.moe.first_dense_layers; i < m.layers; ++i) {
    if (i % freq != 0) m.moe.dense_layers.push_back(i);
  }
  // The aux-loss-free balancing of DeepSeek-V3 ("noaux_tc") adds a learned per-expert bias.
  const std::optional<std::string> method = r.string_if_present("topk_method");
  m.moe.router_bias = !method.has_value() || *method == "noaux_tc";
}

TrainingRecipe read_recipe(ConfigReader& r) {
  TrainingRecipe recipe;
  if (!r.present("training_recipe")) return recipe;
  StrictObject o = r.object().object("training_recipe");
  const std::int64_t seq_len = o.positive_integer("seq_len");
  const std::int64_t global_batch = o.positive_integer("global_batch");
  if (seq_len > INT_MAX) o.fail("seq_len", "must be at most " + std::to_string(INT_MAX));
  if (global_batch > INT_MAX) o.fail("global_batch", "must be at most " + std::to_string(INT_MAX));
  recipe.seq_len = static_cast<int>(seq_len);
  recipe.global_batch = static_cast<int>(global_batch);
  recipe.source = o.string("source");
  if (recipe.source.empty()) o.fail("source", "must not be empty");
  o.reject_unknown_keys();
  return recipe;
}

}  // namespace

Result<ModelSpec> parse_hf_config(const Json& config, const std::string& source) {
  return catch_input_errors([&]() -> ModelSpec {
    ConfigReader r(config, source);
    ModelSpec m;
    m.name = source;
    m.architecture = read_architecture(r);
    switch (m.architecture) {
      case Architecture::llama:
        read_decoder_shape(r, m, false);
        read_attention_bias(r, m);
        m.mlp_bias = r.bool_or("mlp_bias", false);
        break;
      case Architecture::mistral:
        read_decoder_shape(r, m, false);  // no biases anywhere in MistralForCausalLM
        break;
      case Architecture::qwen2:
        read_decoder_shape(r, m, false);
        m.qkv_bias = true;  // Qwen2 always biases q, k and v, never o or the MLP
        break;
      case Architecture::qwen3:
        read_decoder_shape(r, m, true);
        read_attention_bias(r, m);
        m.qk_norm = true;
        break;
      case Architecture::gpt2:
        read_gpt2(r, m);
        break;
      case Architecture::mixtral:
        read_mixtral(r, m);
        break;
      case Architecture::qwen3_moe:
        read_qwen3_moe(r, m);
        break;
      case Architecture::deepseek_v3:
        read_deepseek_v3(r, m);
        break;
    }
    m.recipe = read_recipe(r);
    return m;
  });
}

std::vector<std::string> supported_architectures() {
  std::vector<std::string> out;
  for (const auto& e : kArchitectures)
    out.emplace_back(e.class_name);
  return out;
}

}  // namespace ptsim
