// The GEMM cost model's closed forms (cost_models/compute_cost.h) on the ideal GPU of
// sim_fixtures.h (132 SMs, one 128 x 256 tile per SM, efficiency 1): the worked examples of
// NVIDIA's Matrix Multiplication Background guide (DU-09799-001 section 3.2: 133 tiles take 2 waves
// at about 50 %, 2048 tiles take 16 at 97 %), tile quantisation, and the roofline's two limits.
#include <gtest/gtest.h>

#include <algorithm>

#include "cost_models/compute_cost.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

TEST(UnitGemmCost, WaveQuantisationFollowsTheGuidesWorkedExamples) {
  const GpuProfile gpu = testing::ideal_gpu();  // the model keeps a reference to it
  const ComputeCostModel model(gpu);
  // 133 tiles of 128 x 256 on 132 SMs: a second wave with one tile in it.
  EXPECT_NEAR(model.quantisation_efficiency(GemmKernel{128 * 133, 256, 4096}), 133.0 / 264, 1e-3);
  // 2048 tiles: 16 waves, the last one holding 68 of 132.
  EXPECT_NEAR(model.quantisation_efficiency(GemmKernel{8192, 8192, 4096}), 2048.0 / 2112, 1e-12);
  // Exactly 132 tiles: one full wave.
  EXPECT_DOUBLE_EQ(model.quantisation_efficiency(GemmKernel{128 * 132, 256, 4096}), 1.0);
}

TEST(UnitGemmCost, PartialTilesCountAsWholeOnes) {
  const GpuProfile gpu = testing::ideal_gpu();  // the model keeps a reference to it
  const ComputeCostModel model(gpu);
  // 100 x 200 in one 128 x 256 tile (either orientation fits it whole): 20000 of 32768 cells.
  EXPECT_NEAR(model.quantisation_efficiency(GemmKernel{100, 200, 4096}),
              (100.0 * 200) / (128 * 256) / 132, 1e-12);
}

TEST(UnitGemmCost, TimeIsTheLongerOfComputeAndMemoryPlusLaunch) {
  GpuProfile gpu = testing::ideal_gpu();  // 1000 TFLOP/s bf16, 1 TB/s
  gpu.efficiency.kernel_launch_s = 5e-6;
  const ComputeCostModel model(gpu);
  // Compute-bound: 8192^3 in 2048 tiles at 97 % quantisation.
  const GemmKernel big{8192, 8192, 8192};
  EXPECT_NEAR(model.gemm_time_s(big), big.flops() / (1000e12 * 2048.0 / 2112) + 5e-6, 1e-12);
  // Memory-bound: k = 16 moves A, B and C (about 134 MB) for 2.1 GFLOP.
  const GemmKernel thin{8192, 8192, 16};
  EXPECT_GT(thin.bytes() / 1e12, thin.flops() / 1000e12);
  EXPECT_NEAR(model.gemm_time_s(thin), thin.bytes() / 1e12 + 5e-6, 1e-12);
}

}  // namespace
}  // namespace ptsim
