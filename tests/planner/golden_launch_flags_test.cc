// Golden launch arguments for three hand-checked plans. The full text of all three frameworks is
// compared with tests/planner/golden/<plan>.txt, reviewed by hand and regenerated only on purpose:
//   UPDATE_GOLDEN=1 build/bin/test_planner --gtest_filter='Golden*'
// Each test also checks, from values worked out independently below, the lines that carry the plan.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "tests/planner/launch_flags_test_util.h"

namespace ptsim {
namespace {

using testing::Plan;

std::string golden_path(const std::string& name) {
  return std::string(PTSIM_SOURCE_DIR) + "/tests/planner/golden/" + name + ".txt";
}

// Compares with the golden file, or rewrites it when UPDATE_GOLDEN=1.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    const Status s = write_file_atomically(path, actual);
    ASSERT_TRUE(s.ok()) << s.error().one_line();
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (UPDATE_GOLDEN=1 writes it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "differs from " << path;
}

std::string render(const Plan& plan) {
  return render_launch_flags(
      all_launch_flags(plan.model, plan.training, plan.parallel, plan.gpus, 8));
}

TEST(GoldenLaunchFlags, Llama3_70bTp8Pp4InterleavedVpp5Dp16ZeroOneSelective) {
  Plan plan;
  plan.model = load_model("llama3-70b").value();
  plan.training.seq_len = 8192;
  plan.training.global_batch = 2048;
  ParallelConfig& p = plan.parallel;
  p.tp = 8;
  p.pp = 4;
  p.vpp = 5;
  p.dp = 16;
  p.schedule = Schedule::interleaved;
  p.sequence_parallel = true;
  p.zero_stage = 1;
  p.recompute = Recompute::selective;
  plan.gpus = 512;  // 8 x 4 x 16
  const auto all = all_launch_flags(plan.model, plan.training, p, plan.gpus, 8);
  expect_golden("llama3_70b_tp8_pp4_vpp5_dp16_zero1", render(plan));

  // Hand-checked: 512 GPUs / 8 per node = 64 nodes; 80 layers / (4 x 5) = 4 per virtual stage,
  // an even split, so Megatron needs only the virtual stage count; 2048 / (1 x 16) = 128
  // micro-batches per step; 25 MiB / 2 bytes = 13107200 gradients per bucket.
  const auto a = testing::parse_megatron(all[0].text);
  EXPECT_TRUE(all[0].expressible);
  EXPECT_EQ(a.launcher.at("--nnodes"), "64");
  EXPECT_EQ(a.flags.at("--num-virtual-stages-per-pipeline-rank"), "5");
  EXPECT_FALSE(a.has("--pipeline-model-parallel-layout"));
  EXPECT_EQ(a.flags.at("--num-query-groups"), "8");
  EXPECT_EQ(a.flags.at("--ffn-hidden-size"), "28672");
  EXPECT_EQ(a.flags.at("--recompute-granularity"), "selective");
  EXPECT_TRUE(a.has("--use-distributed-optimizer"));
  EXPECT_EQ(a.flags.at("--ddp-bucket-size"), "13107200");
  const auto t = testing::parse_toml(all[1].text);
  EXPECT_EQ(t.str("parallelism.pipeline_parallel_schedule"), "Interleaved1F1B");
  ASSERT_EQ(t.model_parts.size(), 20u);
  EXPECT_EQ(t.model_parts.front(), (std::vector<std::string>{"tok_embeddings", "layers.0",
                                                             "layers.1", "layers.2", "layers.3"}));
  EXPECT_EQ(t.integer("training.local_batch_size"), 128);  // 2048 / 16
  const auto j = nlohmann::json::parse(all[2].text);
  EXPECT_EQ(j.at("gradient_accumulation_steps").get<int>(), 128);
}

TEST(GoldenLaunchFlags, Mixtral8x7bTp2Ep8Pp1ZeroOne) {
  Plan plan;
  plan.model = load_model("mixtral-8x7b").value();
  plan.training.seq_len = 4096;
  plan.training.global_batch = 1024;
  ParallelConfig& p = plan.parallel;
  p.tp = 2;
  p.dp = 32;
  p.ep = 8;
  p.etp = 1;
  p.sequence_parallel = true;  // Megatron-Core requires it for MoE with tp > 1
  p.zero_stage = 1;
  plan.gpus = 64;  // 2 x 32
  const auto all = all_launch_flags(plan.model, plan.training, p, plan.gpus, 8);
  expect_golden("mixtral_8x7b_tp2_ep8_zero1", render(plan));

  // Hand-checked: 8 experts over ep 8 is one expert per rank, so no grouped GEMM; expert-data-
  // parallel size (2 x 32) / (1 x 8) = 8; 1024 / (1 x 32) = 32 micro-batches per step.
  const auto a = testing::parse_megatron(all[0].text);
  EXPECT_TRUE(all[0].expressible);
  EXPECT_EQ(a.flags.at("--num-experts"), "8");
  EXPECT_EQ(a.flags.at("--moe-router-topk"), "2");
  EXPECT_EQ(a.flags.at("--moe-ffn-hidden-size"), "14336");
  EXPECT_FALSE(a.has("--moe-grouped-gemm"));
  EXPECT_FALSE(a.has("--moe-layer-freq"));  // every layer is MoE, Megatron's default
  EXPECT_EQ(a.flags.at("--expert-model-parallel-size"), "8");
  EXPECT_EQ(a.flags.at("--expert-tensor-parallel-size"), "1");
  EXPECT_TRUE(a.has("--sequence-parallel"));
  EXPECT_FALSE(all[1].expressible);  // torchtitan has no Mixtral model, nor ZeRO-1
  EXPECT_FALSE(all[2].expressible);  // DeepSpeed's expert parallelism is model code
  EXPECT_EQ(nlohmann::json::parse(all[2].text).at("gradient_accumulation_steps").get<int>(), 32);
}

TEST(GoldenLaunchFlags, Llama3_8bFsdpDp64FullRecompute) {
  Plan plan;
  plan.model = load_model("llama3-8b").value();
  plan.training.seq_len = 8192;
  plan.training.global_batch = 512;
  ParallelConfig& p = plan.parallel;
  p.dp = 64;
  p.micro_batch = 2;
  p.zero_stage = 3;
  p.recompute = Recompute::full;
  plan.gpus = 64;
  const auto all = all_launch_flags(plan.model, plan.training, p, plan.gpus, 8);
  expect_golden("llama3_8b_fsdp_dp64", render(plan));

  // Hand-checked: 512 / (2 x 64) = 4 micro-batches, i.e. 4 gradient-accumulation steps.
  for (const LaunchFlags& f : all)
    EXPECT_TRUE(f.expressible) << f.framework << ": " << (f.notes.empty() ? "" : f.notes[0]);
  const auto a = testing::parse_megatron(all[0].text);
  EXPECT_EQ(a.flags.at("--data-parallel-sharding-strategy"), "optim_grads_params");
  EXPECT_EQ(a.flags.at("--micro-batch-size"), "2");
  const auto t = testing::parse_toml(all[1].text);
  EXPECT_EQ(t.integer("parallelism.data_parallel_shard_degree"), 64);
  EXPECT_EQ(t.str("parallelism.fsdp_reshard_after_forward"), "always");
  EXPECT_EQ(t.str("model.flavor"), "8B");
  EXPECT_EQ(t.integer("training.global_batch_size") / (t.integer("training.local_batch_size") * 64),
            4);
  const auto j = nlohmann::json::parse(all[2].text);
  EXPECT_EQ(j.at("zero_optimization").at("stage").get<int>(), 3);
  EXPECT_EQ(j.at("gradient_accumulation_steps").get<int>(), 4);
}

}  // namespace
}  // namespace ptsim
