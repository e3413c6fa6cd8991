// What each framework cannot express, and the flags that realise each plan feature it can:
// one plan feature per test, on small variations of a Llama 3 8B or Mixtral 8x7B plan.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/planner/launch_flags_test_util.h"

namespace ptsim {
namespace {

using testing::Plan;

bool any_note_has(const LaunchFlags& f, const std::string& text) {
  for (const std::string& n : f.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

// Llama 3 8B on 64 GPUs: tp 2, pp 4, dp 8, 1F1B, ZeRO-1, global batch 256 (micro-batches 32).
Plan llama_plan() {
  Plan plan;
  plan.model = load_model("llama3-8b").value();
  plan.training.seq_len = 8192;
  plan.training.global_batch = 256;
  ParallelConfig& p = plan.parallel;
  p.tp = 2;
  p.pp = 4;
  p.dp = 8;
  p.sequence_parallel = true;
  p.zero_stage = 1;
  plan.gpus = 64;
  return plan;
}

LaunchFlags megatron(const Plan& plan) {
  return megatron_flags(plan.model, plan.training, plan.parallel, plan.gpus, 8);
}
LaunchFlags titan(const Plan& plan) {
  return torchtitan_toml(plan.model, plan.training, plan.parallel, plan.gpus, 8);
}
LaunchFlags deepspeed(const Plan& plan) {
  return deepspeed_json(plan.model, plan.training, plan.parallel, plan.gpus, 8);
}

TEST(UnitLaunchFlagsNotes, TheBasePlanIsExpressibleInMegatronAndTorchtitanButNeedsCodeInDeepSpeed) {
  const Plan plan = llama_plan();
  EXPECT_TRUE(megatron(plan).expressible);
  // torchtitan cannot shard only the optimizer state (ZeRO-1).
  const LaunchFlags t = titan(plan);
  EXPECT_FALSE(t.expressible);
  EXPECT_TRUE(any_note_has(t, "ZeRO-1"));
  const LaunchFlags d = deepspeed(plan);
  EXPECT_FALSE(d.expressible);
  EXPECT_TRUE(any_note_has(d, "PipelineModule"));
}

TEST(UnitLaunchFlagsNotes, ZeroBubbleAndDualPipeAreNotInUpstreamMegatron) {
  for (Schedule s : {Schedule::zb_h1, Schedule::dualpipe}) {
    Plan plan = llama_plan();
    plan.parallel.schedule = s;
    const LaunchFlags f = megatron(plan);
    SCOPED_TRACE(schedule_name(s));
    EXPECT_FALSE(f.expressible);
    EXPECT_TRUE(any_note_has(f, "not in upstream Megatron-LM"));
    // and says how to plan within Megatron-LM's schedules instead
    EXPECT_TRUE(any_note_has(f, "--schedule 1f1b,interleaved"));
    // The nearest runnable flags: plain 1F1B over the same pipeline.
    const auto a = testing::parse_megatron(f.text);
    EXPECT_EQ(a.integer("--pipeline-model-parallel-size", 0), 4);
    EXPECT_FALSE(a.has("--num-virtual-stages-per-pipeline-rank"));
    // torchtitan has neither exactly (its zero-bubble schedules are looped, DualPipeV folds a V).
    EXPECT_FALSE(titan(plan).expressible);
  }
}

TEST(UnitLaunchFlagsNotes, GPipeIsATorchtitanScheduleButNotAMegatronOne) {
  Plan plan = llama_plan();
  plan.parallel.schedule = Schedule::gpipe;
  plan.parallel.zero_stage = 3;
  const LaunchFlags m = megatron(plan);
  EXPECT_FALSE(m.expressible);
  EXPECT_TRUE(any_note_has(m, "no GPipe schedule"));
  const LaunchFlags t = titan(plan);
  EXPECT_TRUE(t.expressible) << (t.notes.empty() ? "" : t.notes.front());
  EXPECT_EQ(testing::parse_toml(t.text).str("parallelism.pipeline_parallel_schedule"), "GPipe");
}

TEST(UnitLaunchFlagsNotes, ZeroThreeInMegatronRunsOnMegatronFsdpWithoutPipelineParallelism) {
  Plan plan = llama_plan();
  plan.parallel.zero_stage = 3;
  plan.parallel.pp = 1;
  plan.parallel.dp = 32;
  const LaunchFlags f = megatron(plan);
  EXPECT_TRUE(f.expressible);
  EXPECT_TRUE(any_note_has(f, "Megatron-FSDP"));
  EXPECT_TRUE(any_note_has(f, "shards only optimizer state"));
  const auto a = testing::parse_megatron(f.text);
  EXPECT_TRUE(a.has("--use-megatron-fsdp"));
  EXPECT_EQ(a.flags.at("--data-parallel-sharding-strategy"), "optim_grads_params");
  EXPECT_EQ(a.flags.at("--ckpt-format"), "fsdp_dtensor");

  plan.parallel.zero_stage = 2;
  EXPECT_EQ(
      testing::parse_megatron(megatron(plan).text).flags.at("--data-parallel-sharding-strategy"),
      "optim_grads");

  // With pipeline parallelism ZeRO-3 has no documented Megatron realisation.
  Plan piped = llama_plan();
  piped.parallel.zero_stage = 3;
  const LaunchFlags g = megatron(piped);
  EXPECT_FALSE(g.expressible);
  EXPECT_TRUE(any_note_has(g, "not with pipeline parallelism"));
}

TEST(UnitLaunchFlagsNotes, TorchtitanMapsZeroStagesToFsdpResharding) {
  Plan plan = llama_plan();
  plan.parallel.zero_stage = 3;
  auto t = testing::parse_toml(titan(plan).text);
  EXPECT_EQ(t.integer("parallelism.data_parallel_shard_degree"), 8);
  EXPECT_EQ(t.str("parallelism.fsdp_reshard_after_forward"), "always");
  plan.parallel.zero_stage = 0;
  t = testing::parse_toml(titan(plan).text);
  EXPECT_EQ(t.integer("parallelism.data_parallel_replicate_degree"), 8);
  EXPECT_EQ(t.integer("parallelism.data_parallel_shard_degree"), 1);
  EXPECT_FALSE(t.has("parallelism.fsdp_reshard_after_forward"));
}

TEST(UnitLaunchFlagsNotes, UlyssesIsMegatronA2aAndDeepSpeedSequenceParallelButNotTorchtitan) {
  Plan plan = llama_plan();
  plan.parallel.pp = 1;
  plan.parallel.cp = 4;
  plan.parallel.dp = 8;
  plan.parallel.cp_algorithm = CpAlgorithm::ulysses;
  plan.gpus = 64;
  EXPECT_EQ(testing::parse_megatron(megatron(plan).text).flags.at("--cp-comm-type"), "a2a");
  const LaunchFlags t = titan(plan);
  EXPECT_FALSE(t.expressible);
  EXPECT_TRUE(any_note_has(t, "ring attention only"));
  const auto j = nlohmann::json::parse(deepspeed(plan).text);
  EXPECT_EQ(j.at("sequence_parallel_size").get<int>(), 4);

  plan.parallel.cp_algorithm = CpAlgorithm::ring;
  EXPECT_EQ(testing::parse_megatron(megatron(plan).text).flags.at("--cp-comm-type"), "p2p");
  EXPECT_EQ(testing::parse_toml(titan(plan).text).str("parallelism.context_parallel_rotate_method"),
            "alltoall");
  const LaunchFlags d = deepspeed(plan);
  EXPECT_FALSE(d.expressible);
  EXPECT_TRUE(any_note_has(d, "no ring-attention"));
}

// Mixtral-8x7B on 64 GPUs: tp 2, dp 32 and `ep`, ZeRO-1.
Plan mixtral_plan(int ep) {
  Plan plan;
  plan.model = load_model("mixtral-8x7b").value();
  plan.training.seq_len = 4096;
  plan.training.global_batch = 128;
  plan.parallel.tp = 2;
  plan.parallel.dp = 32;
  plan.parallel.ep = ep;
  plan.parallel.sequence_parallel = true;
  plan.parallel.zero_stage = 1;
  plan.gpus = 64;
  return plan;
}

TEST(UnitLaunchFlagsNotes, DeepSpeedNeedsModelCodeForExpertParallelism) {
  Plan plan = mixtral_plan(8);
  const LaunchFlags d = deepspeed(plan);
  EXPECT_FALSE(d.expressible);
  EXPECT_TRUE(any_note_has(d, "MoE(ep_size=8)"));
  const auto a = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(a.integer("--expert-model-parallel-size", 0), 8);
  EXPECT_EQ(a.integer("--expert-tensor-parallel-size", 0), 1);
  EXPECT_EQ(a.flags.at("--moe-token-dispatcher-type"), "alltoall");
  EXPECT_FALSE(a.has("--moe-enable-deepep"));
  // DeepEP is Megatron-Core's flex dispatcher with --moe-enable-deepep.
  plan.parallel.moe_dispatcher = MoeDispatcher::deepep;
  const auto b = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(b.flags.at("--moe-token-dispatcher-type"), "flex");
  EXPECT_TRUE(b.has("--moe-enable-deepep"));
}

TEST(UnitLaunchFlagsNotes, ExpertAllToAllOverlapIsMegatronsCombinedScheduleWhereItsConditionsHold) {
  // Megatron-Core runs the batch-level EP overlap without a pipeline or with virtual stages, with
  // expert parallelism, and without full recomputation.
  Plan plan = mixtral_plan(8);
  EXPECT_FALSE(
      testing::parse_megatron(megatron(plan).text).has("--overlap-moe-expert-parallel-comm"));
  plan.parallel.ep_a2a_overlap = true;
  const LaunchFlags alone = megatron(plan);
  EXPECT_TRUE(alone.expressible);
  EXPECT_TRUE(testing::parse_megatron(alone.text).has("--overlap-moe-expert-parallel-comm"));

  plan.parallel.dp = 16;
  plan.parallel.pp = 2;
  const LaunchFlags piped = megatron(plan);  // 1F1B over 2 stages: no combined schedule
  EXPECT_FALSE(piped.expressible);
  EXPECT_TRUE(any_note_has(piped, "virtual pipeline stages"));
  EXPECT_FALSE(testing::parse_megatron(piped.text).has("--overlap-moe-expert-parallel-comm"));
  plan.parallel.schedule = Schedule::interleaved;
  plan.parallel.vpp = 2;
  const LaunchFlags interleaved = megatron(plan);
  EXPECT_TRUE(interleaved.expressible);
  EXPECT_TRUE(testing::parse_megatron(interleaved.text).has("--overlap-moe-expert-parallel-comm"));

  plan.parallel.recompute = Recompute::full;
  const LaunchFlags full = megatron(plan);
  EXPECT_FALSE(full.expressible);
  EXPECT_TRUE(any_note_has(full, "no full recomputation"));
}

TEST(UnitLaunchFlagsNotes, TensorParallelCommOverlapIsMegatronsFlagAndTorchtitansAsyncTp) {
  Plan plan = llama_plan();
  EXPECT_FALSE(testing::parse_megatron(megatron(plan).text).has("--tp-comm-overlap"));
  EXPECT_FALSE(
      testing::parse_toml(titan(plan).text).has("parallelism.enable_async_tensor_parallel"));
  EXPECT_FALSE(testing::parse_toml(titan(plan).text).has("compile.enable"));
  plan.parallel.tp_comm_overlap = true;
  EXPECT_TRUE(testing::parse_megatron(megatron(plan).text).has("--tp-comm-overlap"));
  // torchtitan's async TP runs only under torch.compile.
  const auto t = testing::parse_toml(titan(plan).text);
  EXPECT_EQ(t.values.at("parallelism.enable_async_tensor_parallel"), "true");
  EXPECT_EQ(t.values.at("compile.enable"), "true");
}

TEST(UnitLaunchFlagsNotes, OneGroupedExpertGemmNeedsTransformerEnginesCutlassPath) {
  // Transformer Engine runs one cuBLAS GEMM per expert (the default plan); torchtitan runs one
  // grouped kernel. Each framework's notes say where it departs from the plan.
  Plan plan = mixtral_plan(4);  // 2 experts per rank
  EXPECT_FALSE(any_note_has(megatron(plan), "NVTE_USE_CUTLASS_GROUPED_GEMM"));
  EXPECT_TRUE(any_note_has(titan(plan), "torch._grouped_mm"));
  plan.parallel.expert_gemm = ExpertGemm::grouped;
  const LaunchFlags m = megatron(plan);
  EXPECT_TRUE(any_note_has(m, "NVTE_USE_CUTLASS_GROUPED_GEMM=1"));
  EXPECT_TRUE(testing::parse_megatron(m.text).has("--moe-grouped-gemm"));
  EXPECT_FALSE(any_note_has(titan(plan), "torch._grouped_mm"));
  // One expert per rank: no grouped GEMM at all, so nothing to say.
  plan.parallel.ep = 8;
  EXPECT_FALSE(any_note_has(megatron(plan), "NVTE_USE_CUTLASS_GROUPED_GEMM"));
  plan.parallel.expert_gemm = ExpertGemm::multi_stream;
  EXPECT_FALSE(any_note_has(titan(plan), "torch._grouped_mm"));
}

TEST(UnitLaunchFlagsNotes, SelectiveRecomputeModulesBecomeMegatronsModuleList) {
  Plan plan = llama_plan();
  plan.parallel.recompute = Recompute::selective;
  // The default (the attention core) is Megatron-Core's default too: no module list.
  const auto a = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(a.flags.at("--recompute-granularity"), "selective");
  EXPECT_FALSE(a.has("--recompute-modules"));
  plan.parallel.recompute_modules = kRecomputeLayernorm | kRecomputeMlp;
  const auto b = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(b.flags.at("--recompute-modules"), "layernorm mlp");
  EXPECT_TRUE(any_note_has(titan(plan), "layernorm,mlp"));
}

TEST(UnitLaunchFlagsNotes, WaitedForPipelineSendsTurnOffMegatronsDefaultOverlap) {
  // Megatron-LM overlaps the interleaved schedule's sends by default; only turning it off needs
  // a flag, and only that schedule has one.
  Plan plan = llama_plan();
  plan.parallel.vpp = 2;
  plan.parallel.schedule = Schedule::interleaved;
  EXPECT_FALSE(testing::parse_megatron(megatron(plan).text).has("--no-overlap-p2p-communication"));
  plan.parallel.overlap_p2p = false;
  EXPECT_TRUE(testing::parse_megatron(megatron(plan).text).has("--no-overlap-p2p-communication"));
  plan.parallel.vpp = 1;
  plan.parallel.schedule = Schedule::one_f_one_b;
  EXPECT_FALSE(testing::parse_megatron(megatron(plan).text).has("--no-overlap-p2p-communication"));
}

TEST(UnitLaunchFlagsNotes, PipelineInsideDataRankOrderIsAMegatronSwitchOnly) {
  Plan plan = llama_plan();
  plan.parallel.rank_order = "tp-cp-ep-pp-dp";
  const LaunchFlags m = megatron(plan);
  EXPECT_TRUE(m.expressible);
  EXPECT_TRUE(testing::parse_megatron(m.text).has("--use-tp-pp-dp-mapping"));
  plan.parallel.zero_stage = 3;
  EXPECT_FALSE(titan(plan).expressible);

  // An order Megatron cannot produce.
  plan.parallel.rank_order = "dp-tp-pp";
  plan.parallel.zero_stage = 1;
  EXPECT_FALSE(megatron(plan).expressible);
  // Orders that differ only in dimensions of size 1 are the same order.
  plan.parallel.rank_order = "tp-dp-pp";
  EXPECT_TRUE(megatron(plan).expressible);
  EXPECT_FALSE(testing::parse_megatron(megatron(plan).text).has("--use-tp-pp-dp-mapping"));
}

TEST(UnitLaunchFlagsNotes, Fp8IsAFlagInMegatronAndTorchtitanAndModelCodeInDeepSpeed) {
  Plan plan = llama_plan();
  plan.training.precision = Precision::fp8;
  EXPECT_EQ(testing::parse_megatron(megatron(plan).text).flags.at("--fp8-format"), "hybrid");
  const auto t = testing::parse_toml(titan(plan).text);
  EXPECT_EQ(t.values.at("model.converters"), "[\"quantize.linear.float8\"]");
  EXPECT_EQ(t.values.at("compile.enable"), "true");
  const LaunchFlags d = deepspeed(plan);
  EXPECT_FALSE(d.expressible);
  EXPECT_TRUE(any_note_has(d, "Transformer Engine"));
}

TEST(UnitLaunchFlagsNotes, RecomputeModesMapToEachFramework) {
  Plan plan = llama_plan();
  plan.parallel.recompute = Recompute::full;
  auto a = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(a.flags.at("--recompute-granularity"), "full");
  EXPECT_EQ(a.flags.at("--recompute-method"), "uniform");
  EXPECT_EQ(a.integer("--recompute-num-layers", 0), 1);
  EXPECT_EQ(testing::parse_toml(titan(plan).text).str("activation_checkpoint.mode"), "full");
  EXPECT_TRUE(nlohmann::json::parse(deepspeed(plan).text).contains("activation_checkpointing"));

  // The first 2 layers of each stage: Megatron-LM's block method; the others cannot say it.
  plan.parallel.recompute_layers = 2;
  a = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(a.flags.at("--recompute-granularity"), "full");
  EXPECT_EQ(a.flags.at("--recompute-method"), "block");
  EXPECT_EQ(a.integer("--recompute-num-layers", 0), 2);
  EXPECT_FALSE(titan(plan).expressible);
  EXPECT_FALSE(deepspeed(plan).expressible);
  plan.parallel.recompute_layers = 0;

  plan.parallel.recompute = Recompute::selective;
  a = testing::parse_megatron(megatron(plan).text);
  EXPECT_EQ(a.flags.at("--recompute-granularity"), "selective");
  EXPECT_FALSE(a.has("--recompute-method"));  // Megatron rejects a method with selective
  EXPECT_TRUE(any_note_has(deepspeed(plan), "selective recomputation"));

  plan.parallel.recompute = Recompute::none;
  EXPECT_FALSE(testing::parse_megatron(megatron(plan).text).has("--recompute-granularity"));
  // torchtitan's default is selective, so "none" must be spelled out.
  EXPECT_EQ(testing::parse_toml(titan(plan).text).str("activation_checkpoint.mode"), "none");
}

TEST(UnitLaunchFlagsNotes, AnInvalidPlanNamesTheBrokenRuleInEveryFramework) {
  Plan plan = llama_plan();
  plan.gpus = 63;  // tp x pp x dp = 64
  for (const LaunchFlags& f :
       all_launch_flags(plan.model, plan.training, plan.parallel, plan.gpus, 8)) {
    EXPECT_FALSE(f.expressible) << f.framework;
    EXPECT_TRUE(f.text.empty()) << f.framework;
    ASSERT_EQ(f.notes.size(), 1u) << f.framework;
    EXPECT_NE(f.notes[0].find("world_size"), std::string::npos) << f.notes[0];
  }
}

}  // namespace
}  // namespace ptsim
