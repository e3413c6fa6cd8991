// Full recomputation of only the first N layers of each model chunk (ParallelConfig::
// recompute_layers, Megatron-LM's --recompute-method block): between no recomputation and full
// recomputation of every layer in memory and in time, equal to the latter once N covers a chunk,
// and counted in the hardware FLOPs layer by layer.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/workload/model_flops.h"
#include "sim/workload/presets.h"
#include "tests/simulator/catalogue_run.h"

namespace ptsim {
namespace {

// Llama-3-8B cut to 8 layers on 16 H100s: tp 2, pp 2 (4 layers per stage), dp 4.
StepResult run(Recompute recompute, int recompute_layers) {
  TrainingConfig t;
  t.seq_len = 4096;
  t.global_batch = 32;
  ParallelConfig p;
  p.tp = 2;
  p.sequence_parallel = true;
  p.pp = 2;
  p.dp = 4;
  p.micro_batch = 1;
  p.zero_stage = 1;
  p.recompute = recompute;
  p.recompute_layers = recompute_layers;
  return testing::run_catalogue_step("llama3-8b", 8, "dgx-h100", 16, t, p);
}

TEST(UnitPartialRecompute, LiesBetweenNoneAndFullAndEqualsFullOnceItCoversAChunk) {
  const StepResult none = run(Recompute::none, 0);
  const StepResult all = run(Recompute::full, 0);
  double last_peak = none.memory.peak_bytes;
  double last_step = none.step_time_s;
  for (const int n : {1, 2, 3}) {
    const StepResult some = run(Recompute::full, n);
    // Each more layer recomputed keeps less and runs more.
    EXPECT_LT(some.memory.peak_bytes, last_peak) << n;
    EXPECT_GT(some.memory.peak_bytes, all.memory.peak_bytes) << n;
    EXPECT_GT(some.step_time_s, last_step) << n;
    EXPECT_LT(some.step_time_s, all.step_time_s) << n;
    last_peak = some.memory.peak_bytes;
    last_step = some.step_time_s;
  }
  for (const int n : {4, 9}) {
    const StepResult covering = run(Recompute::full, n);
    EXPECT_DOUBLE_EQ(covering.step_time_s, all.step_time_s) << n;
    EXPECT_DOUBLE_EQ(covering.memory.peak_bytes, all.memory.peak_bytes) << n;
    EXPECT_DOUBLE_EQ(covering.hardware_flops_per_step, all.hardware_flops_per_step) << n;
  }
}

// Two stages of 4 layers, 3 recomputed in each: layers 0-2 and 4-6 run their forward again, 32
// sequences each; model FLOPs do not change.
TEST(UnitPartialRecompute, HardwareFlopsAddTheRecomputedLayersForward) {
  auto model = load_model("llama3-8b");
  ASSERT_TRUE(model.ok());
  model->layers = 8;
  const StepResult none = run(Recompute::none, 0);
  const StepResult some = run(Recompute::full, 3);
  EXPECT_DOUBLE_EQ(some.model_flops_per_step, none.model_flops_per_step);
  const double layer = layer_forward_flops(*model, 0, 4096).total_flops();
  EXPECT_NEAR(some.hardware_flops_per_step - none.hardware_flops_per_step, 32 * 6 * layer,
              1e-9 * some.hardware_flops_per_step);
}

}  // namespace
}  // namespace ptsim
