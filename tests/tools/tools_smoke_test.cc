// Smoke tests of the command-line tools, run as a user runs them (STYLE rule 15, in the manner of
// Calculon's test.sh): every built tool's --help exits 0 and shows an "Examples" section; every
// model preset goes through `simulate` on a small valid layout (exit 0, the --json result parses,
// step_time_s > 0); and each kind of bad input to `simulate` exits 2 with one line on stderr that
// names the flag, file or field (DESIGN.md "Names and formats": exit 2 on bad input with a
// one-line reason naming the flag, file and field; never a crash). validate's --gpu-profile
// replaces the GPU of exactly the runs on that GPU, and its bad specifications exit 2.
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
#include "common/rng.h"
#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/presets.h"
#include "tests/tools/run_tool.h"
#include "tools/config_flags.h"

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
  // The kernel classes of the rank the time line describes, in the summary and the JSON.
  EXPECT_NE(r.out.find("kernels     pipeline rank 0"), std::string::npos) << r.out;
  ASSERT_TRUE(result->contains("kernels"));
  EXPECT_GT(result->at("kernels").at("classes").at("gemm").at("count").get<int>(), 0);
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

// DeepSeek-V3's recipe batch (15,360 sequences) as 15,360 micro-batches of 61 layers with a
// 64-step context-parallel ring: about 386 M ops, several times the memory a simulation may take.
TEST(UnitSimulateBadInput, AStepGraphTooLargeToHoldIsExitTwoNamingTheBatchFlags) {
  expect_one_line_error({"--model", "deepseek-v3", "--gpus", "64", "--cp", "64", "--ep", "64",
                         "--zero", "3", "--recompute", "full"},
                        {"--global-batch", "graph_size", "386 M ops", "15360 micro-batches"});
}

// 64 micro-batches, the fewest the interleaved schedule allows on 64 stages, of 65,536 layers
// with a 64-step context-parallel ring: the shortest step is itself about 1,100 M ops, so its size
// is counted on cut-down depths instead of building it (that ran out of memory).
TEST(UnitSimulateBadInput, AModelTooDeepForEvenItsShortestStepIsExitTwoNamingTheLayers) {
  expect_one_line_error(
      {"--model",   "8b",    "--layers",       "65536", "--gpus", "4096", "--tp", "1",
       "--pp",      "64",    "--vpp",          "2",     "--cp",   "64",   "--dp", "1",
       "--seq-len", "65536", "--global-batch", "64"},
      {"--layers", "graph_size", "64 micro-batches of 65536 layers"});
}

TEST(UnitSimulateBadInput, TpNotDividingHeadsIsExitTwoNamingTheFlagAndTheRule) {
  // Llama 3 8B has 32 heads; 24 GPUs (3 nodes) with tp 3 leave dp = 8.
  expect_one_line_error(with({"--gpus", "24", "--tp", "3"}), {"--tp", "tp_divides_heads", "tp 3"});
}

// Every configuration rule names the flags that set what it checks, so that a broken rule's
// one-line answer says which flag to change (a new rule without flags fails here).
TEST(UnitSimulateBadInput, EveryConfigurationRuleNamesItsFlags) {
  for (const std::string& rule : config_rule_names()) {
    const std::string flags = cli::flags_of_rule(rule);
    EXPECT_EQ(flags.rfind("--", 0), 0u) << rule << " names no flag: " << flags;
  }
}

TEST(UnitSimulateBadInput, OneAtATimeSendsWithInterleavingNameBothFlags) {
  expect_one_line_error(with({"--gpus", "8", "--pp", "2", "--vpp", "2", "--schedule", "interleaved",
                              "--serial-p2p", "on"}),
                        {"--serial-p2p/--schedule", "serial_p2p_schedule", "interleaved"});
}

// Random layouts, valid or not, with extreme sizes mixed in: simulate either simulates (exit 0)
// or refuses in one line (exit 2), never crashes. This is how four crashes were found (an FFN
// width tp does not divide, micro-batch x dp overflowing an int, a padded vocabulary wrapping
// negative, a billion-layer depth override); each now has its own rule test as well.
TEST(UnitSimulateBadInput, RandomLayoutsSimulateOrAreRefusedInOneLine) {
  Rng rng(20261207);
  const std::vector<std::string> models = {"8b",        "mixtral-8x7b",    "deepseek-v3",
                                           "llama2-7b", "qwen3-235b-a22b", "175b"};
  const std::vector<std::string> extremes = {"0", "3", "2147483647", "1073741824", "16777217"};
  int simulated = 0;
  for (int i = 0; i < 60; ++i) {
    const int tp = static_cast<int>(rng.pick(std::vector<int>{1, 2, 4, 8}));
    const int pp = static_cast<int>(rng.pick(std::vector<int>{1, 2, 4}));
    const int dp = static_cast<int>(rng.pick(std::vector<int>{1, 2, 4}));
    const int mb = static_cast<int>(rng.pick(std::vector<int>{1, 2}));
    std::vector<std::string> args = {
        "--model",        rng.pick(models),
        "--layers",       std::to_string(rng.uniform_int(1, 8)),
        "--seq-len",      rng.pick(std::vector<std::string>{"512", "1024", "4096"}),
        "--gpus",         std::to_string(tp * pp * dp),
        "--tp",           std::to_string(tp),
        "--pp",           std::to_string(pp),
        "--dp",           std::to_string(dp),
        "--micro-batch",  std::to_string(mb),
        "--global-batch", std::to_string(dp * mb * 4)};
    const std::vector<std::vector<std::string>> optional = {{"--ep", "2"},
                                                            {"--ep", "4"},
                                                            {"--etp", "2"},
                                                            {"--vpp", "2"},
                                                            {"--zero", "3"},
                                                            {"--recompute", "full"},
                                                            {"--schedule", "interleaved"},
                                                            {"--schedule", "dualpipe"},
                                                            {"--cp", "2"},
                                                            {"--sequence-parallel", "on"},
                                                            {"--precision", "fp8"},
                                                            {"--serial-p2p", "on"},
                                                            {"--fp32-grad-copy", "on"},
                                                            {"--tp-comm-overlap", "on"},
                                                            {"--ep-a2a-overlap", "on"}};
    for (const auto& flag : optional) {
      if (rng.uniform01() < 0.2) args.insert(args.end(), flag.begin(), flag.end());
    }
    if (rng.uniform01() < 0.25) {
      const std::string size = rng.pick(std::vector<std::string>{
          "--micro-batch", "--global-batch", "--seq-len", "--layers", "--vpp", "--ep"});
      args.insert(args.end(), {size, rng.pick(extremes)});
    }
    const ToolRun r = run_tool("simulate", args);
    std::string cmd = "simulate";
    for (const std::string& a : args)
      cmd += " " + a;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2)
        << cmd << "\nexit " << r.exit_code << ": " << r.err;
    if (r.exit_code == 2) {
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << "\n" << r.err;
    } else {
      ++simulated;
    }
  }
  EXPECT_GT(simulated, 8);  // the generator reaches valid layouts, not only refusals
}

TEST(UnitSimulateBadInput, AnOutputInAMissingDirectoryIsRefusedBeforeSimulating) {
  expect_one_line_error(with({"--gpus", "8", "--json", "/nonexistent-ptsim-dir/r.json"}),
                        {"--json", "/nonexistent-ptsim-dir", "does not exist"});
}

TEST(UnitSimulateBadInput, UnknownScheduleIsExitTwoNamingTheFlag) {
  expect_one_line_error(with({"--gpus", "8", "--pp", "2", "--schedule", "zigzag"}),
                        {"--schedule", "zigzag"});
}

TEST(UnitSimulateBadInput, UnknownExpertGemmModeIsExitTwoNamingTheFlagAndTheChoices) {
  expect_one_line_error(with({"--gpus", "8", "--expert-gemm", "cutlass"}),
                        {"--expert-gemm", "cutlass", "multi-stream or grouped"});
}

TEST(UnitSimulateBadInput, AScheduleListIsExitTwoSayingSimulateRunsOne) {
  expect_one_line_error(with({"--gpus", "8", "--pp", "2", "--schedule", "1f1b,interleaved"}),
                        {"--schedule", "one schedule runs a step", "planner"});
}

TEST(UnitSimulateBadInput, ZeroSequenceLengthIsExitTwoNamingTheFlagAndTheValue) {
  expect_one_line_error({"--model", "8b", "--gpus", "8", "--global-batch", "8", "--seq-len", "0"},
                        {"--seq-len", "at least 1, got 0"});
}

TEST(UnitSimulateBadInput, AConfigJsonWithoutARecipeNeedsTheBatchFlag) {
  // A Hugging Face config states no training recipe: the global batch must come from the flag.
  const std::string path = temp_path("no_recipe_config.json");
  {
    std::ofstream f(path);
    f << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
             "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 8,
             "intermediate_size": 4096, "vocab_size": 32000})";
  }
  expect_one_line_error({"--model", path, "--gpus", "8", "--seq-len", "512"},
                        {"--global-batch", "no recipe default"});
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

TEST(UnitSimulateBadInput, RecomputeLayersWithoutFullOrBelowOneIsExitTwoNamingTheFlag) {
  expect_one_line_error(
      with({"--gpus", "8", "--recompute", "selective", "--recompute-layers", "2"}),
      {"--recompute-layers", "full"});
  expect_one_line_error(with({"--gpus", "8", "--recompute", "full", "--recompute-layers", "0"}),
                        {"--recompute-layers", "at least 1"});
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

namespace ptsim {
namespace {

// --- validate --gpu-profile ----------------------------------------------------------------------

double predicted_of(const std::string& json_path, const std::string& id) {
  auto result = read_json_file(json_path);
  if (!result.ok()) return -1;
  for (const Json& run : result->at("runs")) {
    if (run.at("id") == id) return run.at("predicted").get<double>();
  }
  return -1;
}

// An H100 with twice the tensor-core peak: a compute-bound run must speed up on it.
std::string write_fast_h100(const std::string& name) {
  GpuProfile gpu = load_gpu("h100-sxm").value();
  gpu.name = "h100-twice-the-peak";
  gpu.peak_flops_per_s[static_cast<std::size_t>(Dtype::bf16)] *= 2;
  const std::string path = temp_path(name);
  std::ofstream(path) << gpu_profile_to_json(gpu).dump(2);
  return path;
}

TEST(UnitValidateGpuProfile, ReplacesTheGpuOfItsRunsOnly) {
  // mcore08_weak_1.7B runs on H100s and is 98 % compute in simulation.
  const std::string id = "mcore08_weak_1.7B";
  const std::string fast = write_fast_h100("validate_fast_h100.json");
  const std::string base_json = temp_path("validate_base.json");
  const std::string h100_json = temp_path("validate_h100.json");
  const std::string a100_json = temp_path("validate_a100.json");
  ASSERT_EQ(run_tool("validate", {"--only", id, "--json", base_json}).exit_code, 0);
  const ToolRun h100 = run_tool(
      "validate", {"--only", id, "--gpu-profile", "h100-sxm=" + fast, "--json", h100_json});
  ASSERT_EQ(h100.exit_code, 0) << h100.err;
  EXPECT_NE(h100.out.find("h100-sxm runs use the GPU profile of " + fast), std::string::npos)
      << h100.out;
  ASSERT_EQ(
      run_tool("validate", {"--only", id, "--gpu-profile", "a100-80g=" + fast, "--json", a100_json})
          .exit_code,
      0);
  const double base = predicted_of(base_json, id);
  ASSERT_GT(base, 0);
  // Twice the GEMM and attention peak: well faster, less than twice (memory-bound kernels stay).
  EXPECT_GT(predicted_of(h100_json, id), 1.3 * base);
  EXPECT_LT(predicted_of(h100_json, id), 2.0 * base);
  // An override for another GPU leaves this run exactly as it was.
  EXPECT_EQ(predicted_of(a100_json, id), base);
}

// Megatron-Core's strong-scaling run on 96 GPUs states no layout (its completion holds tp 8 pp 6):
// validate compares it with the planner's fastest layout, marks its row and says so in --json;
// a run that states its layout is not marked.
TEST(UnitValidatePlannedLayout, ARunWithoutItsLayoutIsPlannedAndMarked) {
  const std::string json = temp_path("validate_planned.json");
  const ToolRun r = run_tool("validate", {"--only", "mcore08_", "--json", json});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# * the record states no layout"), std::string::npos) << r.out;
  auto result = read_json_file(json);
  ASSERT_TRUE(result.ok()) << result.error().one_line();
  int planned = 0, stated = 0;
  for (const Json& run : result->at("runs")) {
    const std::string id = run.at("id").get<std::string>();
    const bool strong = id.rfind("mcore08_strong_", 0) == 0;
    EXPECT_EQ(run.at("layout_planned").get<bool>(), strong) << id;
    const std::size_t row = r.out.find("  " + id + " ");
    ASSERT_NE(row, std::string::npos) << id;
    const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
    if (!strong) {
      EXPECT_EQ(line.find(" * "), std::string::npos) << line;
      ++stated;
      continue;
    }
    ++planned;
    EXPECT_NE(line.find(" * "), std::string::npos) << line;
    const Json& config = run.at("result").at("config");
    EXPECT_EQ(config.at("tp").get<int>(), 8) << id;
    EXPECT_EQ(config.at("pp").get<int>(), 6) << id;
    EXPECT_EQ(config.at("gpus").get<int>(), 8 * 6 * config.at("dp").get<int>()) << id;
  }
  EXPECT_EQ(planned, 2);
  EXPECT_EQ(stated, 9);
}

void expect_validate_error(const std::vector<std::string>& args, const std::string& needle) {
  const ToolRun r = run_tool("validate", args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("validate: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "nothing is validated before the profiles load";
}

TEST(UnitValidateGpuProfile, BadSpecificationsAreExitTwoNamingTheFlagOrFile) {
  expect_validate_error({"--gpu-profile", "h100-sxm"}, "--gpu-profile");
  expect_validate_error({"--gpu-profile", "h100x=some.json"}, "unknown GPU 'h100x'");
  const std::string missing = temp_path("no_such_profile.json");
  expect_validate_error({"--gpu-profile", "h100-sxm=" + missing}, missing);
  const std::string fast = write_fast_h100("validate_twice.json");
  expect_validate_error({"--gpu-profile", "h100-sxm=" + fast, "--gpu-profile", "h100-sxm=" + fast},
                        "given twice");
}

}  // namespace
}  // namespace ptsim
