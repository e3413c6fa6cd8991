// Properties over random valid configurations of the shipped presets: each framework's text reads
// back (with the readers in launch_flags_test_util.h, written from the frameworks' rules) to the
// planned sizes, batch and node layout.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/planner/launch_flags_test_util.h"

namespace ptsim {
namespace {

using testing::Plan;

constexpr int kPlans = 400;
constexpr int kGpusPerNode = 8;

std::string describe(const Plan& plan) {
  const ParallelConfig& p = plan.parallel;
  return plan.model.name + " tp" + std::to_string(p.tp) + " pp" + std::to_string(p.pp) + " dp" +
         std::to_string(p.dp) + " cp" + std::to_string(p.cp) + " ep" + std::to_string(p.ep) +
         " etp" + std::to_string(p.etp) + " vpp" + std::to_string(p.vpp) + " " +
         schedule_name(p.schedule) + " zero" + std::to_string(p.zero_stage) + " mb" +
         std::to_string(p.micro_batch) + " gb" + std::to_string(plan.training.global_batch) +
         " order " + p.rank_order;
}

TEST(PropertyMegatronFlags, ParseBackToThePlannedSizesAndBatch) {
  Rng rng(101);
  int interleaved = 0, layouts = 0, first_last = 0, moe = 0, context = 0;
  for (int i = 0; i < kPlans; ++i) {
    const Plan plan = testing::random_plan(rng);
    const ParallelConfig& p = plan.parallel;
    const LaunchFlags f = megatron_flags(plan.model, plan.training, p, plan.gpus, kGpusPerNode);
    SCOPED_TRACE(describe(plan));
    const testing::MegatronArgs a = testing::parse_megatron(f.text);
    EXPECT_EQ(a.integer("--tensor-model-parallel-size", -1), p.tp);
    EXPECT_EQ(a.integer("--pipeline-model-parallel-size", -1), p.pp);
    EXPECT_EQ(a.integer("--context-parallel-size", -1), p.cp);
    EXPECT_EQ(a.integer("--expert-model-parallel-size", 1), p.ep);
    EXPECT_EQ(a.integer("--expert-tensor-parallel-size", 1), plan.model.is_moe() ? p.etp : 1);
    // Virtual stages: given directly, or as the layout's stage count over pp (arguments.py).
    int vpp = a.integer("--num-virtual-stages-per-pipeline-rank", 1);
    if (a.has("--pipeline-model-parallel-layout")) {
      const auto stages =
          testing::megatron_layout_layers(a.flags.at("--pipeline-model-parallel-layout"));
      ASSERT_EQ(static_cast<int>(stages.size()) % p.pp, 0);
      vpp = static_cast<int>(stages.size()) / p.pp;
    }
    EXPECT_EQ(vpp, p.vpp);
    EXPECT_EQ(a.integer("--micro-batch-size", -1), p.micro_batch);
    EXPECT_EQ(a.integer("--global-batch-size", -1), plan.training.global_batch);
    EXPECT_EQ(a.has("--sequence-parallel"), p.sequence_parallel);
    // Megatron derives dp = world / (tp x pp x cp); the launcher gives the world.
    const int world =
        std::stoi(a.launcher.at("--nnodes")) * std::stoi(a.launcher.at("--nproc-per-node"));
    EXPECT_EQ(world, plan.gpus);
    EXPECT_EQ(world / (p.tp * p.pp * p.cp), p.dp);
    // The stage split Megatron builds from the flags covers every layer.
    const auto layers = testing::megatron_stage_layers(a);
    EXPECT_EQ(std::accumulate(layers.begin(), layers.end(), 0), plan.model.layers);
    interleaved += p.vpp > 1;
    layouts += a.has("--pipeline-model-parallel-layout");
    first_last += a.has("--decoder-first-pipeline-num-layers");
    moe += plan.model.is_moe();
    context += p.cp > 1;
  }
  // The random plans reach every branch of the writer.
  EXPECT_GE(interleaved, 20);
  EXPECT_GE(layouts, 10);
  EXPECT_GE(first_last, 10);
  EXPECT_GE(moe, 20);
  EXPECT_GE(context, 20);
}

TEST(PropertyDeepSpeedJson, TrainBatchIsMicroTimesAccumulationTimesDataParallel) {
  Rng rng(202);
  for (int i = 0; i < kPlans; ++i) {
    const Plan plan = testing::random_plan(rng);
    const ParallelConfig& p = plan.parallel;
    SCOPED_TRACE(describe(plan));
    const LaunchFlags f = deepspeed_json(plan.model, plan.training, p, plan.gpus, kGpusPerNode);
    const auto j = nlohmann::json::parse(f.text);
    // DeepSpeed's data-parallel size: the GPUs over tensor, pipeline and sequence parallelism.
    const int dp = plan.gpus / (p.tp * p.pp * p.cp);
    const int train = j.at("train_batch_size").get<int>();
    EXPECT_EQ(train, j.at("train_micro_batch_size_per_gpu").get<int>() *
                         j.at("gradient_accumulation_steps").get<int>() * dp);
    EXPECT_EQ(train, plan.training.global_batch);
    EXPECT_EQ(j.at("train_micro_batch_size_per_gpu").get<int>(), p.micro_batch);
    EXPECT_EQ(j.at("zero_optimization").at("stage").get<int>(), p.zero_stage);
    EXPECT_EQ(j.value("tensor_parallel", nlohmann::json::object()).value("autotp_size", 1), p.tp);
  }
}

TEST(PropertyTorchtitanToml, DegreesMultiplyToTheGpuCount) {
  Rng rng(303);
  for (int i = 0; i < kPlans; ++i) {
    const Plan plan = testing::random_plan(rng);
    const ParallelConfig& p = plan.parallel;
    SCOPED_TRACE(describe(plan));
    const LaunchFlags f = torchtitan_toml(plan.model, plan.training, p, plan.gpus, kGpusPerNode);
    const testing::Toml t = testing::parse_toml(f.text);
    const int replicate = t.integer("parallelism.data_parallel_replicate_degree");
    const int shard = t.integer("parallelism.data_parallel_shard_degree");
    const int tp = t.integer("parallelism.tensor_parallel_degree");
    const int pp = t.integer("parallelism.pipeline_parallel_degree");
    const int cp = t.integer("parallelism.context_parallel_degree");
    EXPECT_EQ(replicate * shard * tp * pp * cp, plan.gpus);
    EXPECT_EQ(replicate * shard, p.dp);
    EXPECT_EQ(tp, p.tp);
    EXPECT_EQ(pp, p.pp);
    EXPECT_EQ(cp, p.cp);
    // Micro-batches per step: the local batch split into pipeline micro-batches, or gradient
    // accumulation of global / (local x dp) without pipelining.
    const int local = t.integer("training.local_batch_size");
    const int global = t.integer("training.global_batch_size");
    EXPECT_EQ(global, plan.training.global_batch);
    const int m = micro_batches_per_step(plan.training, p);
    if (pp > 1) {
      const int micro = t.integer("parallelism.pipeline_parallel_microbatch_size");
      EXPECT_EQ(micro, p.micro_batch);
      EXPECT_EQ(local / micro, m);
      EXPECT_EQ(local * p.dp, global);
      // One module list per model stage, every layer exactly once.
      const int stages = p.schedule == Schedule::interleaved ? p.pp * p.vpp : p.pp;
      EXPECT_EQ(static_cast<int>(t.model_parts.size()), stages);
      int layers = 0;
      for (const auto& part : t.model_parts) {
        for (const auto& name : part)
          layers += name.rfind("layers.", 0) == 0;
      }
      EXPECT_EQ(layers, plan.model.layers);
    } else {
      EXPECT_EQ(local, p.micro_batch);
      EXPECT_EQ(global / (local * p.dp), m);
      EXPECT_TRUE(t.model_parts.empty());
    }
    if (plan.model.is_moe()) {
      EXPECT_EQ(t.integer("parallelism.expert_parallel_degree"), p.ep);
    }
  }
}

TEST(PropertyLaunchFlags, AllFrameworksGiveTextAndOneLineNotesInAFixedOrder) {
  Rng rng(404);
  for (int i = 0; i < kPlans / 4; ++i) {
    const Plan plan = testing::random_plan(rng);
    SCOPED_TRACE(describe(plan));
    const auto all =
        all_launch_flags(plan.model, plan.training, plan.parallel, plan.gpus, kGpusPerNode);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].framework, kMegatronLm);
    EXPECT_EQ(all[1].framework, kTorchtitan);
    EXPECT_EQ(all[2].framework, kDeepSpeed);
    for (const LaunchFlags& f : all) {
      EXPECT_FALSE(f.text.empty()) << f.framework;
      for (const std::string& note : f.notes)
        EXPECT_EQ(note.find('\n'), std::string::npos) << f.framework << ": " << note;
    }
  }
}

}  // namespace
}  // namespace ptsim
