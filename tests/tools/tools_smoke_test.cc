// Smoke tests of the command-line tools, run as a user runs them (STYLE rule 15, in the manner of
// Calculon's test.sh): every built tool's --help exits 0 and shows an "Examples" section; every
// model preset goes through `simulate` on a small valid layout (exit 0, the --json result parses,
// step_time_s > 0); and each kind of bad input to `simulate` exits 2 with one line on stderr that
// names the flag, file or field (DESIGN.md "Names and formats": exit 2 on bad input with a
// one-line reason naming the flag, file and field; never a crash).
//
// PTSIM_TOOLS lists the tools CMake found (tests/tools/CMakeLists.txt checks each with
// if(TARGET ...)), so tools that other work adds later (planner, whatif, calibrate) are covered
// as soon as they exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_reader.h"
#include "sim/workload/presets.h"
#include "tests/tools/run_tool.h"

namespace ptsim {
namespace {

using testing::run_tool;
using testing::temp_path;
using testing::ToolRun;

std::vector<std::string> built_tools() {
  std::vector<std::string> tools;
  std::stringstream list(PTSIM_TOOLS);
  std::string name;
  while (std::getline(list, name, ','))
    if (!name.empty()) tools.push_back(name);
  return tools;
}

void expect_help(const std::string& tool) {
  const ToolRun r = run_tool(tool, {"--help"});
  EXPECT_EQ(r.exit_code, 0) << tool << " --help: " << r.err;
  EXPECT_NE(r.out.find("Examples"), std::string::npos)
      << tool << " --help has no Examples section:\n"
      << r.out;
}

TEST(UnitToolsSmoke, EveryToolsHelpExitsZeroAndShowsExamples) {
  const std::vector<std::string> tools = built_tools();
  for (const char* required : {"simulate", "validate", "bench", "bench_network"}) {
    EXPECT_NE(std::find(tools.begin(), tools.end(), required), tools.end())
        << required << " is not in the tool list " << PTSIM_TOOLS;
  }
  for (const std::string& tool : tools) {
    expect_help(tool);
  }
}

TEST(UnitToolsSmoke, SimulateWritesAChromeTraceThatParses) {
  const std::string trace_path = temp_path("simulate_trace.json");
  const ToolRun r = run_tool(
      "simulate", {"--model", "8b", "--gpus", "8", "--tp", "2", "--pp", "2", "--global-batch", "8",
                   "--seq-len", "512", "--graph", "full", "--trace", trace_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto trace = read_json_file(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().one_line();
  ASSERT_TRUE(trace->contains("traceEvents"));
  // One process name per GPU of the full graph, and complete events with times.
  int processes = 0;
  int complete = 0;
  for (const Json& e : trace->at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "process_name") ++processes;
    if (e.at("ph") == "X") {
      ++complete;
      EXPECT_GE(e.at("dur").get<double>(), 0);
    }
  }
  EXPECT_EQ(processes, 8);
  EXPECT_GT(complete, 100);
}

// --- every preset through simulate ---------------------------------------------------------------

class SimulatePreset : public ::testing::TestWithParam<std::string> {};

TEST_P(SimulatePreset, RunsOnASmallLayoutAndWritesAParsableResult) {
  // 8 GPUs of the default cluster, data parallel only (valid for every preset: tp = pp = 1), one
  // micro-batch of 1024 tokens per GPU, so the step is small whatever the model's size.
  const std::string json_path = temp_path("simulate_" + GetParam() + ".json");
  const ToolRun r = run_tool("simulate", {"--model", GetParam(), "--gpus", "8", "--global-batch",
                                          "8", "--seq-len", "1024", "--json", json_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto result = read_json_file(json_path);
  ASSERT_TRUE(result.ok()) << result.error().one_line();
  ASSERT_TRUE(result->contains("step_time_s"));
  EXPECT_GT(result->at("step_time_s").get<double>(), 0);
  EXPECT_GT(result->at("tokens_per_s").get<double>(), 0);
  EXPECT_EQ(result->at("config").at("model").get<std::string>(), GetParam());
  EXPECT_EQ(result->at("config").at("gpus").get<int>(), 8);
  EXPECT_NE(r.out.find("step time"), std::string::npos) << r.out;
}

std::string parameter_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(UnitToolsSmoke, SimulatePreset, ::testing::ValuesIn(preset_names()),
                         parameter_name);

// --- bad inputs to simulate --------------------------------------------------------------------

// Exit code 2 and exactly one line on stderr, "simulate: ...", containing every `needle`.
void expect_one_line_error(const std::vector<std::string>& args,
                           const std::vector<std::string>& needles) {
  const ToolRun r = run_tool("simulate", args);
  std::string cmd = "simulate";
  for (const auto& a : args)
    cmd += " " + a;
  EXPECT_EQ(r.exit_code, 2) << cmd << "\nstderr: " << r.err;
  ASSERT_FALSE(r.err.empty()) << cmd;
  EXPECT_EQ(r.err.back(), '\n') << cmd;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << "\nstderr: " << r.err;
  EXPECT_EQ(r.err.rfind("simulate: ", 0), 0u) << r.err;
  for (const auto& n : needles)
    EXPECT_NE(r.err.find(n), std::string::npos)
        << cmd << "\nstderr does not name '" << n << "': " << r.err;
}

// A small valid workload the bad-input cases vary one thing of.
std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--model", "8b", "--global-batch", "8", "--seq-len", "512"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(UnitSimulateBadInput, UnknownPresetIsExitTwoNamingTheNameAndListingPresets) {
  expect_one_line_error({"--model", "no-such-model", "--gpus", "8"},
                        {"no-such-model", "unknown model", "llama3-70b"});
}

// The line for an unknown --model names the flag, the value and the presets.
TEST(UnitSimulateBadInput, UnknownPresetNamesTheModelFlag) {
  expect_one_line_error({"--model", "no-such-model", "--gpus", "8"}, {"--model"});
}

TEST(UnitSimulateBadInput, MalformedConfigJsonIsExitTwoNamingTheFileAndPosition) {
  const std::string path = temp_path("malformed_config.json");
  {
    std::ofstream f(path);
    f << "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096,,}\n";
  }
  expect_one_line_error({"--model", path, "--gpus", "8"}, {path, "line 1, column"});
}

TEST(UnitSimulateBadInput, ZeroGpusIsExitTwoNamingGpus) {
  expect_one_line_error(with({"--gpus", "0"}), {"--gpus"});
}

TEST(UnitSimulateBadInput, NegativeNicBandwidthIsExitTwoNamingTheFlag) {
  expect_one_line_error(with({"--gpus", "8", "--nic-bandwidth=-400Gb/s"}), {"--nic-bandwidth"});
}

TEST(UnitSimulateBadInput, TpNotDividingHeadsIsExitTwoNamingTheFlagAndTheRule) {
  // Llama 3 8B has 32 heads; 24 GPUs (3 nodes) with tp 3 leave dp = 8.
  expect_one_line_error(with({"--gpus", "24", "--tp", "3"}), {"--tp", "tp_divides_heads", "tp 3"});
}

TEST(UnitSimulateBadInput, UnknownScheduleIsExitTwoNamingTheFlag) {
  expect_one_line_error(with({"--gpus", "8", "--pp", "2", "--schedule", "zigzag"}),
                        {"--schedule", "zigzag"});
}

TEST(UnitSimulateBadInput, UnknownZero3GatherIsExitTwoNamingTheFlagAndTheChoices) {
  expect_one_line_error(with({"--gpus", "8", "--zero", "3", "--zero3-gather", "lazy"}),
                        {"--zero3-gather", "lazy", "prefetch", "on-demand"});
}

TEST(UnitSimulateBadInput, UnknownRecomputeModuleIsExitTwoNamingTheFlagAndTheChoices) {
  expect_one_line_error(
      with({"--gpus", "8", "--recompute", "selective", "--recompute-modules", "core_attn,attn"}),
      {"--recompute-modules", "core_attn,attn", "layernorm", "moe_act"});
}

TEST(UnitSimulateBadInput, RecomputeModulesWithoutSelectiveIsExitTwoNamingTheFlag) {
  expect_one_line_error(with({"--gpus", "8", "--recompute", "full", "--recompute-modules", "mlp"}),
                        {"--recompute-modules", "selective"});
}

TEST(UnitSimulateBadInput, OverlapP2pCommNotOnOrOffIsExitTwoNamingTheFlag) {
  expect_one_line_error(
      with({"--gpus", "8", "--pp", "4", "--vpp", "2", "--overlap-p2p-comm", "sometimes"}),
      {"--overlap-p2p-comm", "sometimes"});
}

TEST(UnitSimulateBadInput, UnknownClusterIsExitTwoNamingTheFlag) {
  expect_one_line_error(with({"--gpus", "8", "--cluster", "no-such-cluster"}),
                        {"--cluster", "no-such-cluster"});
}

TEST(UnitSimulateBadInput, Fp8OnA100IsExitTwoNamingThePrecisionFlag) {
  // A100 has no fp8 tensor cores (peak 0 in hardware_profiles/gpus/a100-80g.json).
  expect_one_line_error(with({"--gpus", "8", "--cluster", "dgx-a100", "--precision", "fp8"}),
                        {"--precision", "fp8", "a100"});
  expect_one_line_error(with({"--gpus", "8", "--gpu", "a100-80g", "--precision", "fp8"}),
                        {"--precision", "fp8", "a100-80g"});
}

// GPipe with the EP all-to-all overlap simulates (the pairing leaves its turn-around unpaired).
TEST(UnitSimulateBadInput, EpA2aOverlapWithGpipeNeverCrashes) {
  const ToolRun r = run_tool(
      "simulate", {"--model", "mixtral-8x7b", "--gpus", "16", "--pp", "2", "--schedule", "gpipe",
                   "--ep-a2a-overlap", "on", "--global-batch", "8", "--seq-len", "512"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace ptsim

namespace ptsim {
namespace {

void expect_execute_error(const std::vector<std::string>& args, const std::string& needle) {
  const ToolRun r = run_tool("execute", args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("execute: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(UnitExecuteBadInput, ZeroLayersIsExitTwoNamingTheFlag) {
  expect_execute_error({"--model", "8b", "--layers", "0"}, "--layers");
}

// Eight GPUs: without a GPU here the device is missing, with one the executor refuses more than
// one GPU; either way one line that says which.
TEST(UnitExecuteBadInput, EightGpusOrNoDeviceIsExitTwoSayingWhy) {
  expect_execute_error(
      {"--model", "8b", "--layers", "2", "--gpus", "8", "--global-batch", "8", "--seq-len", "512"},
      "GPU");
}

}  // namespace
}  // namespace ptsim
