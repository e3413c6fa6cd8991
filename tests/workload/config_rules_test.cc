// Every configuration rule, one test each: an otherwise valid configuration broken in exactly one
// way gets a Verdict naming that rule (never a crash), and the builder refuses to build it.
#include "sim/workload/config_rules.h"

#include <gtest/gtest.h>

#include <functional>

#include "sim/workload/graph_builder.h"
#include "test_specs.h"

namespace ptsim {
namespace {

struct Base {
  ModelSpec m = testing::llama_spec(16, 1024, 16, 8, 2048, 32000);
  ModelSpec moe = testing::moe_spec(16, 1024, 16, 8, 1024, 8, 2, 32000);
  TrainingConfig t;
  ParallelConfig p;
  Base() {
    t.seq_len = 4096;
    t.global_batch = 64;
    p.tp = 2;
    p.pp = 2;
    p.dp = 2;
    p.cp = 2;
    p.sequence_parallel = true;
  }
};

struct RuleCase {
  const char* rule;
  std::function<void(Base&, int&)> breaks;  // mutates the base and the GPU count
  bool moe = false;
};

class ConfigRule : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ConfigRule, BrokenRuleIsNamed) {
  Base b;
  int gpus = 16;
  GetParam().breaks(b, gpus);
  const ModelSpec& m = GetParam().moe ? b.moe : b.m;
  const Verdict v = check_config(m, b.t, b.p, gpus);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.rule, GetParam().rule) << v.reason;
  EXPECT_FALSE(v.reason.empty());
  const auto built = build_step_graph(m, b.t, b.p, gpus, GraphMode::reduced);
  EXPECT_FALSE(built.step.has_value());
  EXPECT_EQ(built.verdict.rule, GetParam().rule);
}

TEST(UnitConfigRules, BaseConfigurationsAreValid) {
  Base b;
  EXPECT_TRUE(check_config(b.m, b.t, b.p, 16).ok) << check_config(b.m, b.t, b.p, 16).reason;
  b.p.ep = 4;
  EXPECT_TRUE(check_config(b.moe, b.t, b.p, 16).ok) << check_config(b.moe, b.t, b.p, 16).reason;
}

// Sizes past kMaxConfigSize are refused before any product of them is formed: a micro-batch of
// 2^31 - 1 times dp 2 overflowed an int and reached the pipeline planner as no micro-batches.
TEST(UnitConfigRules, HugeSizesAreRefusedNotOverflowed) {
  Base b;
  b.p.micro_batch = 2147483647;
  EXPECT_EQ(check_config(b.m, b.t, b.p, 16).rule, "positive_sizes");
  b = Base{};
  b.t.global_batch = kMaxConfigSize + 1;
  EXPECT_EQ(check_config(b.m, b.t, b.p, 16).rule, "positive_sizes");
  b = Base{};
  b.p.tp = 1 << 16;
  b.p.pp = 1 << 16;  // tp x pp x dp x cp = 2^34, past any int
  EXPECT_EQ(check_config(b.m, b.t, b.p, 16).rule, "world_size");
  b = Base{};
  b.m.layers = kMaxLayers + 1;  // a depth override no step graph could hold
  EXPECT_EQ(check_config(b.m, b.t, b.p, 16).rule, "model_sizes");
  b = Base{};
  b.p.micro_batch = kMaxConfigSize;  // 2^24 x dp 2 sequences per step: batch_divides, in 64 bits
  EXPECT_EQ(check_config(b.m, b.t, b.p, 16).rule, "batch_divides");
}

TEST(UnitConfigRules, EveryRuleHasATestCase) {
  // The list below covers config_rule_names() entry for entry.
  EXPECT_EQ(config_rule_names().size(), 27u);
}

INSTANTIATE_TEST_SUITE_P(
    UnitConfigRules, ConfigRule,
    ::testing::Values(
        RuleCase{"positive_sizes", [](Base& b, int&) { b.p.micro_batch = 0; }},
        RuleCase{"model_sizes", [](Base& b, int&) { b.m.vocab = 2147483647; }},
        RuleCase{"world_size", [](Base&, int& gpus) { gpus = 24; }},
        RuleCase{"zero_stage", [](Base& b, int&) { b.p.zero_stage = 4; }},
        RuleCase{"tp_divides_heads", [](Base& b, int& gpus) { b.p.tp = 3; gpus = 24; }},
        RuleCase{"tp_divides_kv_heads", [](Base& b, int& gpus) { b.p.tp = 16; gpus = 128; }},
        RuleCase{"ep_needs_moe", [](Base& b, int&) { b.p.ep = 2; }},
        RuleCase{"tp_divides_ffn", [](Base& b, int&) { b.m.ffn_hidden = 2049; }},
        RuleCase{"etp_divides_expert_ffn",
                 [](Base& b, int&) { b.moe.moe.expert_ffn_hidden = 1023; b.p.etp = 2; }, true},
        RuleCase{"ep_divides_experts", [](Base& b, int& gpus) { b.p.ep = 16; b.p.dp = 8; gpus = 64; },
                 true},
        RuleCase{"expert_layout", [](Base& b, int&) { b.p.ep = 8; b.p.etp = 2; }, true},
        RuleCase{"expert_pipeline_groups",
                 [](Base& b, int&) { b.p.cp = 1; b.p.dp = 4; b.p.ep = 4; b.p.rank_order = "tp-pp-cp-ep-dp"; },
                 true},
        RuleCase{"moe_tp_needs_sp", [](Base& b, int&) { b.p.sequence_parallel = false; }, true},
        RuleCase{"sp_needs_tp", [](Base& b, int& gpus) { b.p.tp = 1; gpus = 8; }},
        RuleCase{"sp_divides_sequence", [](Base& b, int&) { b.t.seq_len = 4094; }},
        RuleCase{"cp_divides_sequence",
                 [](Base& b, int&) { b.p.sequence_parallel = false; b.t.seq_len = 4094; }},
        RuleCase{"ulysses_heads",
                 [](Base& b, int& gpus) { b.p.cp_algorithm = CpAlgorithm::ulysses; b.p.cp = 16; gpus = 128; }},
        RuleCase{"cp_needs_flash", [](Base& b, int&) { b.t.attention = AttentionImpl::unfused; }},
        RuleCase{"batch_divides", [](Base& b, int&) { b.t.global_batch = 63; }},
        RuleCase{"pp_layers",
                 [](Base& b, int& gpus) { b.p.pp = 8; b.p.vpp = 3; b.p.schedule = Schedule::interleaved; gpus = 64; }},
        RuleCase{"schedule_needs_pp",
                 [](Base& b, int& gpus) { b.p.pp = 1; b.p.schedule = Schedule::gpipe; gpus = 8; }},
        RuleCase{"vpp_needs_interleaved", [](Base& b, int&) { b.p.vpp = 2; }},
        RuleCase{"interleaved_microbatches",
                 [](Base& b, int& gpus) {
                   b.p.pp = 4; b.p.vpp = 2; b.p.schedule = Schedule::interleaved; gpus = 32;
                   b.t.global_batch = 6;  // 3 micro-batches, not a multiple of pp
                 }},
        RuleCase{"dualpipe_shape",
                 [](Base& b, int& gpus) { b.p.pp = 3; b.p.schedule = Schedule::dualpipe; gpus = 24; }},
        RuleCase{"serial_p2p_schedule",
                 [](Base& b, int& gpus) {
                   b.p.pp = 4; b.p.vpp = 2; b.p.schedule = Schedule::interleaved; gpus = 32;
                   b.p.serial_p2p = true;
                 }},
        RuleCase{"serial_p2p_pairs",
                 [](Base& b, int& gpus) {
                   b.p.pp = 2; b.p.ep = 4; b.p.ep_a2a_overlap = true; b.p.serial_p2p = true;
                   gpus = 16;
                 },
                 true},
        RuleCase{"fp32_grad_copy_zero",
                 [](Base& b, int&) { b.p.fp32_grad_copy = true; b.p.zero_stage = 2; }}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return std::string(info.param.rule); });

}  // namespace
}  // namespace ptsim
