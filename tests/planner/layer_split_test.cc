// The layer split over pipeline stages that the launch flags realise: checked against published
// splits, against the workload builder's own split, and read back from each framework's text.
#include <gtest/gtest.h>

#include "planner/launch_flags_plan.h"
#include "sim/workload/graph_builder.h"
#include "tests/planner/launch_flags_test_util.h"

namespace ptsim {
namespace {

ParallelConfig pipeline(int pp, int vpp) {
  ParallelConfig p;
  p.pp = pp;
  p.vpp = vpp;
  p.schedule = vpp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
  return p;
}

ModelSpec with_layers(const char* preset, int layers = 0) {
  ModelSpec m = load_model(preset).value();
  if (layers > 0) m.layers = layers;
  return m;
}

TEST(UnitLayerSplit, Llama3_405bOn16StagesHasOneLayerFewerOnTheFirstAndLast) {
  // Llama Team 2024 (arXiv:2407.21783, "Pipeline parallelism improvements"): 126 layers on 16
  // pipeline stages, one Transformer layer fewer on the first and the last stage: 7, fourteen
  // stages of 8, 7.
  std::vector<int> expected(16, 8);
  expected.front() = 7;
  expected.back() = 7;
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("llama3-405b"), pipeline(16, 1)), expected);
}

TEST(UnitLayerSplit, RemainderGoesToMiddleStagesBeforeTheEnds) {
  // DeepSeek-V3's 61 layers on 16 stages: 3 each and 13 left over, given to stages 1..13
  // (hand-checked: 3 + 13 x 4 + 3 + 3 = 61).
  std::vector<int> expected(16, 3);
  for (int s = 1; s <= 13; ++s)
    expected[static_cast<std::size_t>(s)] = 4;
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("deepseek-v3"), pipeline(16, 1)), expected);
  // 10 layers on 4 stages: 2 each, 2 left over for the two middle stages: 2, 3, 3, 2.
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("llama3-8b", 10), pipeline(4, 1)),
            (std::vector<int>{2, 3, 3, 2}));
  // 11 layers on 4 stages: the third extra layer goes to the last stage: 2, 3, 3, 3.
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("llama3-8b", 11), pipeline(4, 1)),
            (std::vector<int>{2, 3, 3, 3}));
}

TEST(UnitLayerSplit, Qwen3_235bCountsEmbeddingAndLossAsLayers) {
  // Megatron-MoE-ModelZoo runs Qwen3-235B (94 layers) on pp 8 x vpp 4 = 32 stages and on
  // pp 32 x vpp 3 = 96 stages; with the embedding and the loss counted as one layer each
  // (--account-for-embedding/loss-in-pipeline-split) that is 96 = 32 x 3 and 96 x 1.
  std::vector<int> on32(32, 3);
  on32.front() = 2;
  on32.back() = 2;
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("qwen3-235b-a22b"), pipeline(8, 4)), on32);
  std::vector<int> on96(96, 1);
  on96.front() = 0;
  on96.back() = 0;
  EXPECT_EQ(launch::layers_per_model_stage(with_layers("qwen3-235b-a22b"), pipeline(32, 3)), on96);
}

// A small dense model whose step graph builds in milliseconds.
ModelSpec tiny_model(int layers) {
  ModelSpec m;
  m.name = "tiny";
  m.hidden = 64;
  m.layers = layers;
  m.heads = 4;
  m.kv_heads = 4;
  m.head_dim = 16;
  m.ffn_hidden = 128;
  m.vocab = 256;
  m.max_positions = 128;
  return m;
}

TEST(PropertyLayerSplit, MatchesTheWorkloadBuilderAndReadsBackFromEveryFramework) {
  Rng rng(505);
  int checked = 0;
  for (int i = 0; i < 200; ++i) {
    const int pp = static_cast<int>(rng.uniform_int(2, 6));
    const int vpp = rng.uniform01() < 0.5 ? 1 : static_cast<int>(rng.uniform_int(2, 3));
    // From the fewest layers the rules allow (the first and last stage may hold none) upwards.
    const int stages = pp * vpp;
    const int layers =
        static_cast<int>(rng.uniform_int(stages > 2 ? stages - 2 : stages, 3 * stages + 2));
    const ModelSpec m = tiny_model(layers);
    ParallelConfig p = pipeline(pp, vpp);
    TrainingConfig t;
    t.seq_len = 32;
    t.global_batch = pp;  // micro-batches = pp, as the interleaved schedule needs
    SCOPED_TRACE("layers " + std::to_string(layers) + " pp " + std::to_string(pp) + " vpp " +
                 std::to_string(vpp));

    const std::vector<int> split = launch::layers_per_model_stage(m, p);
    const BuildResult built = build_step_graph(m, t, p, pp, GraphMode::reduced);
    ASSERT_TRUE(built.verdict.ok) << built.verdict.reason;
    EXPECT_EQ(split, built.step->layers_per_model_stage);

    const auto megatron = testing::parse_megatron(megatron_flags(m, t, p, pp, 8).text);
    EXPECT_EQ(testing::megatron_stage_layers(megatron), split);

    const auto titan = testing::parse_toml(torchtitan_toml(m, t, p, pp, 8).text);
    std::vector<int> titan_split;
    int next_layer = 0;
    for (const auto& part : titan.model_parts) {
      int n = 0;
      for (const auto& name : part) {
        if (name.rfind("layers.", 0) != 0) continue;
        EXPECT_EQ(name, "layers." + std::to_string(next_layer++)) << "layers out of order";
        ++n;
      }
      titan_split.push_back(n);
    }
    EXPECT_EQ(titan_split, split);
    ++checked;
  }
  EXPECT_EQ(checked, 200);
}

}  // namespace
}  // namespace ptsim
