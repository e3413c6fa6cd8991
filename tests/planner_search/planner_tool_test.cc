// The planner binary end to end: a fully pinned configuration reports what simulate reports, bad
// inputs give one line and exit 2, and the report has its parts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "common/json_reader.h"

namespace ptsim {
namespace {

struct ToolRun {
  int exit_code = -1;
  std::string out;  // stdout, or stderr when asked
};

// Runs build/bin/<tool> with `args`; captures stdout, or stderr with `capture_stderr`.
ToolRun run_tool(const std::string& tool, const std::string& args, bool capture_stderr = false) {
  const std::string bin = std::string(PTSIM_BINARY_DIR) + "/" + tool;
  const std::string cmd =
      bin + " " + args + (capture_stderr ? " 2>&1 1>/dev/null" : " 2>/dev/null");
  ToolRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr)
    r.out += buf.data();
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

constexpr const char* kPinned =
    "--model 8b --gpus 8 --global-batch 16 --tp 2 --pp 2 --dp 2 --cp 1 --vpp 1 --micro-batch 2 "
    "--zero 1 --recompute selective --schedule 1f1b --sequence-parallel on";

TEST(UnitPlannerTool, FullyPinnedConfigurationReportsWhatSimulateReports) {
  // Both tools evaluate the configuration through evaluate() and write it with result_json.h, so
  // every field simulate writes must be equal (exactly: same inputs, deterministic simulation).
  const std::string path = ::testing::TempDir() + "planner_tool_simulate.json";
  const ToolRun sim_run = run_tool("simulate", std::string(kPinned) + " --json " + path);
  ASSERT_EQ(sim_run.exit_code, 0);
  ToolRun sim;
  sim.exit_code = 0;
  {
    FILE* f = std::fopen(path.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
      sim.out.append(buf.data(), n);
    std::fclose(f);
  }
  const ToolRun plan = run_tool("planner", std::string(kPinned) + " --quiet --json -");
  ASSERT_EQ(sim.exit_code, 0);
  ASSERT_EQ(plan.exit_code, 0);
  auto s = parse_json(sim.out, "simulate");
  auto p = parse_json(plan.out, "planner");
  ASSERT_TRUE(s.ok()) << s.error().one_line();
  ASSERT_TRUE(p.ok()) << p.error().one_line();
  ASSERT_EQ((*p)["candidates"].size(), 1u);
  const Json& candidate = (*p)["candidates"][0];
  int compared = 0;
  for (const auto& [key, value] : s->items()) {
    if (key == "provenance") continue;
    ASSERT_TRUE(candidate.contains(key)) << key;
    EXPECT_EQ(candidate[key], value) << key;
    ++compared;
  }
  EXPECT_GE(compared, 10);
  EXPECT_EQ((*p)["search"]["considered"], 1);
  EXPECT_EQ((*p)["search"]["simulated"], 1);
}

TEST(UnitPlannerTool, ReportHasTheTableTheSearchAndTheLaunchArguments) {
  const ToolRun r =
      run_tool("planner", "--model 8b --gpus 16 --global-batch 32 --tp 2 --zero 1 --top 3 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("# rank  layout"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(s)"), std::string::npos);  // the units row
  EXPECT_NE(r.out.find("configurations considered"), std::string::npos);
  EXPECT_NE(r.out.find("bounded out"), std::string::npos);
  EXPECT_NE(r.out.find("## megatron-lm"), std::string::npos);
  EXPECT_NE(r.out.find("--tensor-model-parallel-size 2"), std::string::npos);
  // Exactly three ranked rows.
  int rows = 0;
  for (std::size_t at = 0; (at = r.out.find("\n     ", at)) != std::string::npos; ++at)
    ++rows;
  EXPECT_EQ(rows, 3) << r.out;
}

TEST(UnitPlannerTool, AScheduleListIsSearchedAndReportedAsPinned) {
  // The schedules Megatron-LM offers. Oracle: the open search's ranking with the other schedules
  // taken out (here its best is zb-h1, which the list excludes).
  const std::string job = "--model 8b --gpus 16 --global-batch 32 --tp 2 --pp 2 --zero 1 --quiet";
  const ToolRun report = run_tool("planner", job + " --schedule interleaved,1f1b,interleaved");
  ASSERT_EQ(report.exit_code, 0) << report.out;
  EXPECT_NE(report.out.find("schedule 1f1b/interleaved"), std::string::npos) << report.out;
  auto listed = parse_json(
      run_tool("planner", job + " --top 5 --schedule 1f1b,interleaved --json -").out, "listed");
  auto open = parse_json(run_tool("planner", job + " --top 50 --json -").out, "open");
  ASSERT_TRUE(listed.ok()) << listed.error().one_line();
  ASSERT_TRUE(open.ok()) << open.error().one_line();
  auto schedule = [](const Json& c) { return c["config"]["schedule"].get<std::string>(); };
  EXPECT_EQ(schedule((*open)["candidates"][0]), "zb-h1");
  for (const Json& c : (*listed)["candidates"])
    EXPECT_TRUE(schedule(c) == "1f1b" || schedule(c) == "interleaved") << schedule(c);
  const Json* best_allowed = nullptr;
  for (const Json& c : (*open)["candidates"]) {
    if (schedule(c) == "1f1b" || schedule(c) == "interleaved") {
      best_allowed = &c;
      break;
    }
  }
  ASSERT_NE(best_allowed, nullptr);
  EXPECT_EQ((*listed)["candidates"][0]["config"], (*best_allowed)["config"]);
  EXPECT_EQ((*listed)["candidates"][0]["step_time_s"], (*best_allowed)["step_time_s"]);
}

TEST(UnitPlannerTool, DeepSpeedSwitchesHoldForEveryCandidateAndTheHeaderSaysSo) {
  // DeepSpeed's pipeline engine and bf16 optimizer: every ranked plan is simulated with them, and
  // pipelined plans run 1F1B, the one schedule that engine has (the config rule prunes the rest).
  const std::string job =
      "--model 8b --gpus 16 --global-batch 32 --tp 2 --zero 1 --serial-p2p on --fp32-grad-copy on "
      "--quiet";
  const ToolRun report = run_tool("planner", job + " --top 3");
  ASSERT_EQ(report.exit_code, 0) << report.out;
  EXPECT_NE(report.out.find("bf16 gradients copied into fp32 every micro-batch, pipeline sends "
                            "one at a time\n"),
            std::string::npos)
      << report.out;
  auto plans = parse_json(run_tool("planner", job + " --top 20 --json -").out, "plans");
  ASSERT_TRUE(plans.ok()) << plans.error().one_line();
  ASSERT_FALSE((*plans)["candidates"].empty());
  bool pipelined = false;
  for (const Json& c : (*plans)["candidates"]) {
    EXPECT_TRUE(c["config"]["serial_p2p"].get<bool>());
    EXPECT_TRUE(c["config"]["fp32_grad_copy"].get<bool>());
    if (c["config"]["pp"].get<int>() > 1) {
      pipelined = true;
      EXPECT_EQ(c["config"]["schedule"], "1f1b");
    }
  }
  EXPECT_TRUE(pipelined) << "no pipelined plan among the 20: the schedule check saw nothing";
}

struct BadInput {
  const char* args;
  const char* expected;  // a piece of the one-line answer
};

class UnitPlannerBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(UnitPlannerBadInput, AnswersOneLineAndExitsTwo) {
  const BadInput& b = GetParam();
  const ToolRun r = run_tool("planner", std::string(b.args) + " --quiet", true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "more than one line: " << r.out;
  EXPECT_EQ(r.out.rfind("planner: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(b.expected), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Table, UnitPlannerBadInput,
    ::testing::Values(
        BadInput{"--model 70b --gpus 0", "--gpus: must be between 1 and 1000000, got 0"},
        BadInput{"--gpus 8", "--model: a model preset or config.json is required"},
        BadInput{"--model 70b", "--gpus: the number of GPUs is required"},
        BadInput{"--model no-such-model --gpus 8", "no-such-model"},
        BadInput{"--model 70b --gpus 512 --tp 3", "but there are 512 GPUs"},
        BadInput{"--model 8b --gpus 8 --tp 16", "= 16 but there are 8 GPUs"},
        BadInput{"--model 8b --gpus 16 --tp 16", "tp 16 does not divide 8 key/value heads"},
        BadInput{"--model 70b --gpus 8 --global-batch 8",
                 "no configuration fits in 79.6 GiB per GPU"},
        // Nothing fits DeepSeek-V3 on 64 H100s; memory probes (shortened steps) find the smallest
        // peak without building the 15,360-micro-batch steps of dp 1 candidates (386 M ops).
        BadInput{"--model deepseek-v3 --gpus 64 --zero 3",
                 "the smallest peak found is 174.5 GiB (tp1 pp1 dp1 cp64 ep64 mb1 z3 full)"},
        // On B200s that layout fits, but its whole step is too large a graph to simulate.
        BadInput{
            "--model deepseek-v3 --gpus 64 --tp 1 --pp 1 --cp 64 --ep 64 --zero 3 "
            "--recompute full --micro-batch 1 --gpu b200",
            "--global-batch: nothing could be simulated: the 1 candidate had a step graph over "
            "100 M ops"},
        BadInput{"--model 8b --gpus 8 --schedule zigzag", "--schedule: unknown value 'zigzag'"},
        // Checked when read, not as "no configuration can run" after listing every layout.
        BadInput{"--model 8b --gpus 8 --rank-order tp-dp-tp",
                 "planner: --rank-order: dimension 'tp' appears twice in 'tp-dp-tp'"},
        BadInput{"--model 8b --gpus 8 --schedule 1f1b,zigzag",
                 "--schedule: unknown value 'zigzag'"},
        BadInput{"--model 8b --gpus 8 --schedule ,", "--schedule: names no schedule"},
        BadInput{"--model 8b --gpus 8 --zero 4", "--zero: must be 0, 1, 2 or 3"},
        BadInput{"--model 8b --gpus 8 --recompute some", "--recompute: unknown value 'some'"},
        BadInput{"--model 8b --gpus 8 --sequence-parallel maybe", "--sequence-parallel"},
        BadInput{"--model 8b --gpus 8 --gpu a100-80g --precision fp8", "no fp8 tensor cores"},
        BadInput{"--model 8b --gpus 8 --top 0", "--top: must be at least 1"},
        BadInput{"--model 8b --gpus 8 --rank-order tp-xx", "tp-xx"},
        BadInput{"--model 8b --gpus 8 --nic-bandwidth 400", "--nic-bandwidth"},
        BadInput{"--model 8b --gpus 8 --ep-dispatcher nope",
                 "--ep-dispatcher: unknown value 'nope'"},
        BadInput{"--model 8b --gpus 8 --zero3-gather lazy", "--zero3-gather: unknown value 'lazy'"},
        BadInput{"--model 8b --gpus 8 --expert-gemm fused", "--expert-gemm: unknown value 'fused'"},
        BadInput{"--model 8b --gpus 8 --grad-reduce-fp32 maybe", "--grad-reduce-fp32"},
        BadInput{"--model 8b --gpus 8 --no-such-flag", "--no-such-flag"}));

}  // namespace
}  // namespace ptsim
