// The result JSON (planner/result_json.h, DESIGN.md "Names and formats") of one fixed
// configuration on the shipped catalogue, compared field by field with the reviewed golden file
// tests/data/golden/result_llama3-8b_dgx-h100_16gpu.json (STYLE rule 14: structured comparison
// with per-field tolerances, not a text diff). Any new, missing or renamed field is a difference
// too, so the format others depend on cannot drift unnoticed. Regenerate on purpose only:
//   UPDATE_GOLDEN=1 build/bin/test_simulator --gtest_filter='Golden*'
// and review the diff in the commit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hardware_profiles/catalogue.h"
#include "planner/evaluate.h"
#include "planner/result_json.h"
#include "sim/workload/presets.h"
#include "tests/simulator/golden.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::compare_json;
using testing::FieldTolerance;

constexpr const char* kGoldenFile = "result_llama3-8b_dgx-h100_16gpu.json";

// Why these tolerances: simulated times are long sums of floating-point terms whose last bits can
// move with the compiler or libm (log10 in the efficiency tables), never by 1e-9 of the value
// unless the model changed. Byte counts, FLOPs and memory are exact products and sums of
// integers-valued quantities (1e-12 covers summation order). Breakdown parts can be 0, so they get
// an absolute allowance of 1e-9 of a second-scale step as well. Everything else (configuration,
// counts, booleans, strings) must match exactly.
const std::vector<FieldTolerance>& result_tolerances() {
  static const std::vector<FieldTolerance> t = {
      {"/step_time_s", 1e-9, 0, "simulated time"},
      {"/tokens_per_s", 1e-9, 0, "derived from the step time"},
      {"/tflops_per_gpu", 1e-9, 0, "derived from the step time"},
      {"/mfu", 1e-9, 0, "derived from the step time"},
      {"/hfu", 1e-9, 0, "derived from the step time"},
      {"/breakdown", 1e-9, 1e-12, "simulated time"},
      {"/flops", 1e-12, 0, "FLOP counts"},
      {"/memory", 1e-12, 0, "byte sums"},
      {"/comm_bytes_per_rank", 1e-12, 0, "byte counts"},
      {"/config", 1e-12, 0, "configuration (SI conversions of profile values)"},
  };
  return t;
}

Json fixed_configuration_result() {
  auto model = load_model("llama3-8b");
  PTSIM_CHECK(model.ok(), "preset llama3-8b");
  auto cluster = load_cluster("dgx-h100");
  PTSIM_CHECK(cluster.ok(), "cluster dgx-h100");
  TrainingConfig t;
  t.seq_len = 2048;
  t.global_batch = 32;
  ParallelConfig p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 4;
  p.vpp = 2;
  p.schedule = Schedule::interleaved;
  p.sequence_parallel = true;
  p.zero_stage = 1;
  p.recompute = Recompute::selective;
  const int gpus = 16;
  const Topology topology = testing::build_topology(*cluster, gpus);
  const Evaluation e = evaluate(*model, t, p, *cluster, topology, gpus);
  PTSIM_CHECK(e.verdict.ok, e.verdict.reason);
  return step_result_json(*e.result, ConfigDescription{*model, t, p, *cluster, gpus});
}

TEST(GoldenSimulator, ResultJsonOfAFixedConfigurationMatchesFieldByField) {
  const Json now = fixed_configuration_result();
  if (testing::update_golden_requested()) {
    const std::string error = testing::write_golden(kGoldenFile, now.dump(2) + "\n");
    ASSERT_EQ(error, "");
    GTEST_SKIP() << "regenerated " << testing::golden_path(kGoldenFile);
  }
  auto golden = read_json_file(testing::golden_path(kGoldenFile));
  ASSERT_TRUE(golden.ok()) << golden.error().one_line()
                           << " (create it with UPDATE_GOLDEN=1, see the file comment)";
  const auto differences = compare_json(*golden, now, result_tolerances());
  for (const auto& d : differences)
    ADD_FAILURE() << d;
  EXPECT_TRUE(differences.empty())
      << "If the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff.";
}

// The comparison itself must be able to fail.
TEST(UnitGoldenCompare, NumbersWithinTheirFieldToleranceMatchAndBeyondDoNot) {
  const std::vector<FieldTolerance> tol = {{"/a", 1e-6, 0, "a"}, {"/a/b", 0, 0.5, "a/b"}};
  const Json golden = {{"a", {{"b", 10.0}, {"c", 1.0}}}, {"d", 3}};
  EXPECT_TRUE(compare_json(golden, golden, tol).empty());
  // /a/b: absolute 0.5 (the longer prefix wins over /a's relative 1e-6).
  EXPECT_TRUE(compare_json(golden, {{"a", {{"b", 10.4}, {"c", 1.0}}}, {"d", 3}}, tol).empty());
  EXPECT_EQ(compare_json(golden, {{"a", {{"b", 10.6}, {"c", 1.0}}}, {"d", 3}}, tol).size(), 1u);
  // /a/c: relative 1e-6.
  EXPECT_TRUE(
      compare_json(golden, {{"a", {{"b", 10.0}, {"c", 1.0000005}}}, {"d", 3}}, tol).empty());
  EXPECT_EQ(compare_json(golden, {{"a", {{"b", 10.0}, {"c", 1.00001}}}, {"d", 3}}, tol).size(), 1u);
  // /d: no tolerance, exact; an integer and an equal double match.
  EXPECT_TRUE(compare_json(golden, {{"a", {{"b", 10.0}, {"c", 1.0}}}, {"d", 3.0}}, tol).empty());
  const auto diff = compare_json(golden, {{"a", {{"b", 10.0}, {"c", 1.0}}}, {"d", 4}}, tol);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_NE(diff[0].find("/d"), std::string::npos) << diff[0];
}

TEST(UnitGoldenCompare, MissingExtraAndChangedFieldsAreDifferences) {
  const Json golden = {{"x", "bf16"}, {"y", {1, 2, 3}}, {"z", true}};
  EXPECT_EQ(compare_json(golden, {{"x", "bf16"}, {"y", {1, 2, 3}}}, {}).size(), 1u);  // missing
  EXPECT_EQ(
      compare_json(golden, {{"x", "bf16"}, {"y", {1, 2, 3}}, {"z", true}, {"w", 0}}, {}).size(),
      1u);  // extra
  EXPECT_EQ(compare_json(golden, {{"x", "fp8"}, {"y", {1, 2, 3}}, {"z", true}}, {}).size(), 1u);
  EXPECT_EQ(compare_json(golden, {{"x", "bf16"}, {"y", {1, 2}}, {"z", true}}, {}).size(), 1u);
  EXPECT_EQ(compare_json(golden, {{"x", "bf16"}, {"y", {1, 2, 3}}, {"z", "true"}}, {}).size(), 1u);
}

}  // namespace
}  // namespace ptsim
