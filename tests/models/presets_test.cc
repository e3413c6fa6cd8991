// The shipped model catalogue: every preset and alias loads, with the shape of its published
// Hugging Face config.json and the training recipe of its source.
#include "sim/workload/presets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "model_test_util.h"

namespace ptsim {
namespace {

using testing_util::preset;

// Fields that define the computation; equal specs load from equal configs.
void expect_same_model(const ModelSpec& a, const ModelSpec& b) {
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.kv_heads, b.kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.ffn_hidden, b.ffn_hidden);
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  EXPECT_EQ(a.moe.num_experts, b.moe.num_experts);
  EXPECT_EQ(a.moe.dense_layers, b.moe.dense_layers);
  EXPECT_EQ(a.recipe.seq_len, b.recipe.seq_len);
  EXPECT_EQ(a.recipe.global_batch, b.recipe.global_batch);
  EXPECT_EQ(a.recipe.source, b.recipe.source);
}

TEST(UnitPresets, NamesListEveryShippedPresetSorted) {
  const std::vector<std::string> expected = {
      "deepseek-v3", "gpt3-175b", "llama2-13b",    "llama2-70b",   "llama2-7b",      "llama3-405b",
      "llama3-70b",  "llama3-8b", "mixtral-8x22b", "mixtral-8x7b", "qwen3-235b-a22b"};
  EXPECT_EQ(preset_names(), expected);
}

TEST(UnitPresets, AliasesMapShortNamesToFullNamesSortedByAlias) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"13b", "llama2-13b"}, {"175b", "gpt3-175b"}, {"405b", "llama3-405b"},
      {"70b", "llama3-70b"}, {"7b", "llama2-7b"},   {"8b", "llama3-8b"}};
  EXPECT_EQ(preset_aliases(), expected);
}

TEST(UnitPresets, EveryPresetLoadsWithANameAndAPublishedRecipe) {
  for (const std::string& name : preset_names()) {
    SCOPED_TRACE(name);
    auto spec = load_model(name);
    ASSERT_TRUE(spec.ok()) << spec.error().one_line();
    EXPECT_EQ(spec->name, name);
    EXPECT_GT(spec->recipe.seq_len, 0);
    EXPECT_GT(spec->recipe.global_batch, 0);
    EXPECT_FALSE(spec->recipe.source.empty());
  }
}

TEST(UnitPresets, EveryAliasLoadsTheModelItNames) {
  for (const auto& [alias, full] : preset_aliases()) {
    SCOPED_TRACE(alias);
    auto spec = load_model(alias);
    ASSERT_TRUE(spec.ok()) << spec.error().one_line();
    EXPECT_EQ(spec->name, full);
    expect_same_model(*spec, preset(full));
  }
}

// The embedded copy and the file in the source tree are the same text: loading the file by path
// gives the same model and the same recipe source, byte for byte (semicolons, quotes and "§"
// survive embedding).
TEST(UnitPresets, EmbeddedPresetsEqualTheFilesInTheSourceTree) {
  for (const std::string& name : preset_names()) {
    SCOPED_TRACE(name);
    const std::string path =
        std::string(PTSIM_SOURCE_DIR) + "/sim/workload/presets/" + name + ".json";
    auto from_file = load_model(path);
    ASSERT_TRUE(from_file.ok()) << from_file.error().one_line();
    EXPECT_EQ(from_file->name, name);  // the file name without ".json"
    expect_same_model(*from_file, preset(name));
  }
}

TEST(UnitPresets, AConfigJsonInAFolderOrTheFolderIsNamedAfterTheFolder) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "ptsim_models_test" / "Meta-Llama-3-8B";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "config.json";
  {
    std::ofstream out(file);
    out << R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64,
               "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
               "vocab_size": 100})";
  }
  auto spec = load_model(file.string());
  ASSERT_TRUE(spec.ok()) << spec.error().one_line();
  EXPECT_EQ(spec->name, "Meta-Llama-3-8B");
  // The folder itself names the same model.
  auto from_folder = load_model(dir.string());
  ASSERT_TRUE(from_folder.ok()) << from_folder.error().one_line();
  EXPECT_EQ(from_folder->name, "Meta-Llama-3-8B");
  EXPECT_EQ(from_folder->hidden, 64);
  EXPECT_EQ(spec->kv_heads, 4);        // absent num_key_value_heads: one k/v head per head
  EXPECT_EQ(spec->recipe.seq_len, 0);  // no training_recipe: nothing to default to
}

// Shapes as published in each Hugging Face config.json (repositories listed in presets.h).
TEST(UnitPresets, DenseShapesMatchTheirHuggingFaceConfigs) {
  const ModelSpec l2 = preset("llama2-70b");
  EXPECT_EQ(l2.architecture, Architecture::llama);
  EXPECT_EQ(l2.hidden, 8192);
  EXPECT_EQ(l2.layers, 80);
  EXPECT_EQ(l2.heads, 64);
  EXPECT_EQ(l2.kv_heads, 8);
  EXPECT_EQ(l2.ffn_hidden, 28672);
  EXPECT_EQ(l2.vocab, 32000);

  const ModelSpec l3 = preset("llama3-405b");
  EXPECT_EQ(l3.hidden, 16384);
  EXPECT_EQ(l3.layers, 126);
  EXPECT_EQ(l3.heads, 128);
  EXPECT_EQ(l3.kv_heads, 8);
  EXPECT_EQ(l3.head_dim, 128);
  EXPECT_EQ(l3.ffn_hidden, 53248);
  EXPECT_EQ(l3.vocab, 128256);
  EXPECT_FALSE(l3.tied_embeddings);

  // GPT-3 175B (Brown et al. 2020, Table 2.1) as a GPT2LMHeadModel: n_inner null -> 4 * n_embd.
  const ModelSpec g = preset("gpt3-175b");
  EXPECT_EQ(g.architecture, Architecture::gpt2);
  EXPECT_EQ(g.hidden, 12288);
  EXPECT_EQ(g.layers, 96);
  EXPECT_EQ(g.heads, 96);
  EXPECT_EQ(g.head_dim, 128);
  EXPECT_EQ(g.ffn_hidden, 4 * 12288);
  EXPECT_EQ(g.vocab, 50257);
  EXPECT_EQ(g.max_positions, 2048);
  EXPECT_EQ(g.position, PositionKind::learned);
  EXPECT_EQ(g.mlp, MlpKind::gelu);
  EXPECT_EQ(g.norm, NormKind::layernorm);
  EXPECT_TRUE(g.tied_embeddings);
  EXPECT_TRUE(g.qkv_bias);
  EXPECT_TRUE(g.linear_bias);
}

TEST(UnitPresets, MoeShapesAndLayerLayoutsMatchTheirHuggingFaceConfigs) {
  const ModelSpec mx = preset("mixtral-8x22b");
  EXPECT_EQ(mx.hidden, 6144);
  EXPECT_EQ(mx.layers, 56);
  EXPECT_EQ(mx.heads, 48);
  EXPECT_EQ(mx.kv_heads, 8);
  EXPECT_EQ(mx.moe.num_experts, 8);
  EXPECT_EQ(mx.moe.top_k, 2);
  EXPECT_EQ(mx.moe.expert_ffn_hidden, 16384);
  EXPECT_EQ(mx.moe_layer_count(), 56);

  // Qwen3's head_dim (128) is not hidden / heads (4096 / 64 = 64).
  const ModelSpec q = preset("qwen3-235b-a22b");
  EXPECT_EQ(q.architecture, Architecture::qwen3_moe);
  EXPECT_EQ(q.head_dim, 128);
  EXPECT_EQ(q.heads, 64);
  EXPECT_EQ(q.kv_heads, 4);
  EXPECT_TRUE(q.qk_norm);
  EXPECT_EQ(q.moe.num_experts, 128);
  EXPECT_EQ(q.moe.top_k, 8);
  EXPECT_EQ(q.moe.expert_ffn_hidden, 1536);
  EXPECT_EQ(q.moe_layer_count(), 94);

  // DeepSeek-V3: MLA, 1 shared + 256 routed experts, the first 3 layers dense (report §4.2).
  const ModelSpec d = preset("deepseek-v3");
  EXPECT_EQ(d.attention, AttentionKind::mla);
  EXPECT_EQ(d.mla.q_lora_rank, 1536);
  EXPECT_EQ(d.mla.kv_lora_rank, 512);
  EXPECT_EQ(d.qk_head_dim(), 128 + 64);
  EXPECT_EQ(d.v_head_dim(), 128);
  EXPECT_EQ(d.moe.num_experts, 256);
  EXPECT_EQ(d.moe.top_k, 8);
  EXPECT_EQ(d.moe.shared_experts, 1);
  EXPECT_TRUE(d.moe.router_bias);
  EXPECT_FALSE(d.is_moe_layer(2));
  EXPECT_TRUE(d.is_moe_layer(3));
  EXPECT_TRUE(d.is_moe_layer(60));
  EXPECT_EQ(d.moe_layer_count(), 58);
}

TEST(UnitPresets, RecipesCarryThePublishedSequenceLengthsAndBatches) {
  struct Expected {
    const char* name;
    int seq_len;
    int global_batch;
  };
  // Llama 2 §2.2: 4M tokens of 4096; Llama 3 §3.4.1: 16M tokens of 8192; GPT-3 Table 2.1 with
  // Megatron's 1536 sequences of 2048; DeepSeek-V3 §4.2: 4K sequences, batch ramping to 15360.
  const Expected cases[] = {{"llama2-7b", 4096, 1024},
                            {"llama3-405b", 8192, 2048},
                            {"gpt3-175b", 2048, 1536},
                            {"deepseek-v3", 4096, 15360},
                            {"mixtral-8x7b", 32768, 128}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ModelSpec m = preset(c.name);
    EXPECT_EQ(m.recipe.seq_len, c.seq_len);
    EXPECT_EQ(m.recipe.global_batch, c.global_batch);
  }
}

TEST(UnitPresets, ArchitectureNamesAreTheHuggingFaceClasses) {
  EXPECT_STREQ(architecture_name(Architecture::deepseek_v3), "DeepseekV3ForCausalLM");
  EXPECT_STREQ(architecture_name(Architecture::gpt2), "GPT2LMHeadModel");
  EXPECT_STREQ(architecture_name(Architecture::qwen3_moe), "Qwen3MoeForCausalLM");
  const std::vector<std::string> expected = {
      "DeepseekV3ForCausalLM", "GPT2LMHeadModel",  "LlamaForCausalLM", "MistralForCausalLM",
      "MixtralForCausalLM",    "Qwen2ForCausalLM", "Qwen3ForCausalLM", "Qwen3MoeForCausalLM"};
  EXPECT_EQ(supported_architectures(), expected);
}

}  // namespace
}  // namespace ptsim
