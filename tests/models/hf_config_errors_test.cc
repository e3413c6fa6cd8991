// Malformed inputs to the model loader, one test each, asserting the exact one-line error that
// main() prints: source, JSON pointer (or line and column), and what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model_test_util.h"
#include "sim/workload/presets.h"

namespace ptsim {
namespace {

using testing_util::error_of;

struct BadConfig {
  const char* name;  // the test's name: what is wrong
  const char* config;
  const char* error;
};

constexpr char kSupported[] =
    "supported: DeepseekV3ForCausalLM, GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, "
    "MixtralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM";

const BadConfig kBadConfigs[] = {
    {"UnsupportedArchitectureListsTheSupportedOnes",
     R"({"architectures": ["BertForMaskedLM"], "hidden_size": 768})",
     "cfg.json: /architectures/0: unsupported architecture \"BertForMaskedLM\"; "},
    {"UnsupportedModelTypeListsTheSupportedArchitectures", R"({"model_type": "bert"})",
     "cfg.json: /model_type: unsupported model_type \"bert\"; "},
    {"NeitherArchitecturesNorModelTypeIsMissingArchitectures", R"({"hidden_size": 64})",
     "cfg.json: /architectures: missing required key"},
    {"ArchitecturesThatIsNotAListIsRejected",
     R"({"architectures": "LlamaForCausalLM", "hidden_size": 64})",
     "cfg.json: /architectures: expected a list of model class names, found \"LlamaForCausalLM\""},
    {"MissingHiddenSizeIsNamed",
     R"({"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2,
         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100})",
     "cfg.json: /hidden_size: missing required key"},
    {"ZeroLayersIsRejected",
     R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 0,
         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100})",
     "cfg.json: /num_hidden_layers: must be a positive integer, got 0"},
    {"NegativeLayersIsRejected",
     R"({"architectures": ["MistralForCausalLM"], "hidden_size": 64, "num_hidden_layers": -4,
         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100})",
     "cfg.json: /num_hidden_layers: must be a positive integer, got -4"},
    {"HiddenSizeGivenAsAStringIsRejected",
     R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": "4096"})",
     "cfg.json: /hidden_size: expected an integer, found \"4096\""},
    {"HeadsNotDivisibleByKeyValueHeadsIsRejected",
     R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 32, "num_key_value_heads": 5, "intermediate_size": 128,
         "vocab_size": 100})",
     "cfg.json: /num_key_value_heads: num_attention_heads (32) is not divisible by "
     "num_key_value_heads (5)"},
    {"HiddenNotDivisibleByHeadsWithoutHeadDimIsRejected",
     R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 100, "num_hidden_layers": 2,
         "num_attention_heads": 8, "intermediate_size": 128, "vocab_size": 100})",
     "cfg.json: /num_attention_heads: hidden_size (100) is not divisible by num_attention_heads "
     "(8) and head_dim is not given"},
    {"Qwen3WithoutHeadDimIsRejected",
     R"({"architectures": ["Qwen3ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
         "vocab_size": 100})",
     "cfg.json: /head_dim: missing required key"},
    {"Gpt2EmbeddingNotDivisibleByHeadsIsRejected",
     R"({"architectures": ["GPT2LMHeadModel"], "n_embd": 100, "n_layer": 2, "n_head": 3})",
     "cfg.json: /n_head: n_embd (100) is not divisible by n_head (3)"},
    {"MoreExpertsPerTokenThanExpertsIsRejected",
     R"({"architectures": ["MixtralForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
         "vocab_size": 100, "num_local_experts": 8, "num_experts_per_tok": 9})",
     "cfg.json: /num_experts_per_tok: must not exceed the number of routed experts (8), got 9"},
    {"MlpOnlyLayerOutsideTheModelIsRejected",
     R"({"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "intermediate_size": 128, "vocab_size": 100, "num_experts": 8, "num_experts_per_tok": 2,
         "moe_intermediate_size": 32, "mlp_only_layers": [0, 7]})",
     "cfg.json: /mlp_only_layers/1: layer index 7 is outside [0, 4)"},
    {"DeepseekWithMoreDenseLayersThanLayersIsRejected",
     R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
         "qk_rope_head_dim": 4, "v_head_dim": 8, "intermediate_size": 96, "vocab_size": 100,
         "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
         "n_shared_experts": 1, "first_k_dense_replace": 3})",
     "cfg.json: /first_k_dense_replace: must not exceed num_hidden_layers (2), got 3"},
    {"DeepseekWithoutSharedExpertCountIsRejected",
     R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
         "qk_rope_head_dim": 4, "v_head_dim": 8, "intermediate_size": 96, "vocab_size": 100,
         "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16})",
     "cfg.json: /n_shared_experts: missing required key"},
    {"UnknownKeyInsideTheTrainingRecipeIsRejected",
     R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
         "training_recipe": {"seq_len": 4096, "global_batch": 8, "source": "x", "lr": 3e-4}})",
     "cfg.json: /training_recipe/lr: unknown key"},
    {"ZeroBatchInTheTrainingRecipeIsRejected",
     R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
         "training_recipe": {"seq_len": 4096, "global_batch": 0, "source": "x"}})",
     "cfg.json: /training_recipe/global_batch: must be a positive integer, got 0"},
};

class UnitHfConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(UnitHfConfigErrors, GiveTheExactOneLineError) {
  const BadConfig& c = GetParam();
  std::string expected = c.error;
  // Architecture errors end with the list of supported classes.
  if (!expected.empty() && expected.back() == ' ') expected += kSupported;
  EXPECT_EQ(error_of(c.config), expected);
}

INSTANTIATE_TEST_SUITE_P(Table, UnitHfConfigErrors, ::testing::ValuesIn(kBadConfigs),
                         [](const ::testing::TestParamInfo<BadConfig>& info) {
                           return std::string(info.param.name);
                         });

// Unknown keys are what real configs are full of; they must not be errors.
TEST(UnitHfConfig, UnknownKeysAndNullOptionalsAreIgnored) {
  EXPECT_EQ(error_of(R"({"architectures": ["MistralForCausalLM"], "hidden_size": 64,
                         "num_hidden_layers": 2, "num_attention_heads": 4, "head_dim": null,
                         "intermediate_size": 128, "vocab_size": 100, "sliding_window": 4096,
                         "rope_scaling": {"type": "yarn"}, "some_future_key": [1, 2]})"),
            "");
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "ptsim_bad";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / name;
  std::ofstream(file) << text;
  return file.string();
}

TEST(UnitModelLoading, MalformedJsonNamesLineAndColumn) {
  const std::string path =
      write_temp("broken.json", "{\n  \"hidden_size\": 64,\n  \"num_hidden_layers\": ]\n}");
  auto r = load_model(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), path +
                                      ": line 3, column 24: malformed JSON: syntax error while "
                                      "parsing value - unexpected ']'; expected '[', '{', or a "
                                      "literal");
}

TEST(UnitModelLoading, UnknownPresetListsThePresetsAndAliases) {
  auto r = load_model("llama9-1t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(),
            "llama9-1t: unknown model: not a preset and not a file; presets: deepseek-v3, "
            "gpt3-175b, llama2-13b, llama2-70b, llama2-7b, llama3-405b, llama3-70b, llama3-8b, "
            "mixtral-8x22b, mixtral-8x7b, qwen3-235b-a22b; aliases: 13b (llama2-13b), 175b "
            "(gpt3-175b), 405b (llama3-405b), 70b (llama3-70b), 7b (llama2-7b), 8b (llama3-8b)");
}

TEST(UnitModelLoading, MissingConfigFileIsNamed) {
  auto r = load_model("no/such/dir/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(), "no/such/dir/config.json: cannot open file");
}

TEST(UnitModelLoading, AnUnsupportedArchitectureInAFileNamesTheFile) {
  const std::string path = write_temp("bert.json", R"({"architectures": ["BertModel"]})");
  auto r = load_model(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().one_line(),
            path + ": /architectures/0: unsupported architecture \"BertModel\"; " + kSupported);
}

}  // namespace
}  // namespace ptsim
