// The ranked table's small pieces: the time bar and what limits a step.
#include <gtest/gtest.h>

#include <string>

#include "hardware_profiles/catalogue.h"
#include "planner/report.h"
#include "sim/workload/presets.h"

namespace ptsim {
namespace {

StepResult step(double compute_s, double dp_s, double bubble_s) {
  StepResult r;
  r.breakdown.seconds[static_cast<std::size_t>(Category::compute)] = compute_s;
  r.breakdown.seconds[static_cast<std::size_t>(Category::dp)] = dp_s;
  r.breakdown.bubble_s = bubble_s;
  r.step_time_s = compute_s + dp_s + bubble_s;
  r.memory.capacity_bytes = 80e9;
  r.memory.peak_bytes = 40e9;
  return r;
}

TEST(UnitReport, TimeBarSplitsTheStepByLargestRemainder) {
  // 10 s over 20 cells: compute 6.1 s = 12.2 cells, dp 1.4 s = 2.8, bubble 2.5 s = 5.0. Floors
  // 12 + 2 + 5 = 19; the last cell goes to the largest remainder, dp's 0.8.
  EXPECT_EQ(time_bar(step(6.1, 1.4, 2.5), 20), "CCCCCCCCCCCCDDDBBBBB");
  // Every cell is used whatever the shares.
  for (double dp : {0.0, 0.01, 0.33, 1.0, 7.77}) {
    const std::string bar = time_bar(step(3.0, dp, 1.0 / 3.0), 20);
    EXPECT_EQ(bar.size(), 20u) << dp;
  }
  EXPECT_EQ(time_bar(step(0, 0, 0), 5), ".....");
}

TEST(UnitReport, TheLimitIsTheLargestLossOrComputeWhenNoLossMatters) {
  EXPECT_EQ(step_limiter(step(8.0, 0.5, 1.5)), "bubble 15.0%");
  EXPECT_EQ(step_limiter(step(8.0, 1.5, 0.5)), "dp comm 15.0%");
  // 0.2 % of exposed data-parallel traffic does not limit a step that computes 99.8 % of it.
  EXPECT_EQ(step_limiter(step(9.98, 0.02, 0)), "compute");
  EXPECT_EQ(step_limiter(step(9.8, 0.2, 0)), "dp comm 2.0%");
  // Within 5 % of capacity, memory is what stops the plan from growing.
  StepResult full = step(8.0, 1.5, 0.5);
  full.memory.peak_bytes = 0.96 * full.memory.capacity_bytes;
  EXPECT_EQ(step_limiter(full), "memory 96%");
}

// The header says how a mixture-of-experts model's tokens and expert GEMMs run, defaults
// included, and says it once; a dense model's header says nothing of experts.
TEST(UnitReport, TheHeaderStatesTheExpertDispatcherAndGemmModeOfMoeModels) {
  PlannerInputs in;
  in.model = load_model("mixtral-8x7b").value();
  in.training.seq_len = 4096;
  in.training.global_batch = 64;
  in.cluster = load_cluster("dgx-h100").value();
  in.gpus = 16;
  const std::string moe = report_header(in);
  EXPECT_NE(moe.find("expert dispatcher alltoall, expert GEMMs one per expert on 4 streams"),
            std::string::npos)
      << moe;
  in.pins.framework.expert_gemm = ExpertGemm::grouped;
  in.pins.framework.moe_dispatcher = MoeDispatcher::deepep;
  const std::string pinned = report_header(in);
  EXPECT_NE(pinned.find("expert dispatcher deepep, expert GEMMs in one grouped kernel"),
            std::string::npos)
      << pinned;
  EXPECT_EQ(pinned.find("experts in one grouped GEMM"), std::string::npos) << pinned;
  EXPECT_EQ(pinned.find("DeepEP dispatcher"), std::string::npos) << pinned;
  in.model = load_model("llama3-8b").value();
  in.pins.framework = ParallelConfig{};
  EXPECT_EQ(report_header(in).find("expert"), std::string::npos);
}

}  // namespace
}  // namespace ptsim
