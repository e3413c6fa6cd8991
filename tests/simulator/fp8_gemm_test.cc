// fp8 GEMMs in the cost model and the step graph (cost_models/kernel.h, compute_cost.cc):
// * a GPU profile may carry a GEMM table per dtype; an fp8 GEMM uses the fp8 one, or the general
//   table when there is none;
// * a GEMM that quantises its bf16 A operand costs one more memory-bound pass of 4 bytes per
//   element of A (read 2, write a row-wise and a column-wise fp8 copy) and one more launch;
// * Transformer Engine quantises the input of every fp8 linear layer in forward and its output
//   gradient in backward; the weight-gradient GEMM reuses both copies.
#include <gtest/gtest.h>

#include "cost_models/compute_cost.h"
#include "sim/workload/graph_builder.h"
#include "tests/simulator/sim_fixtures.h"
#include "tests/workload/test_specs.h"

namespace ptsim {
namespace {

constexpr std::int64_t kN = 4096;

TEST(UnitFp8Gemm, AnFp8GemmUsesItsOwnTableAndOtherwiseTheGeneralOne) {
  GpuProfile gpu = testing::ideal_gpu();  // general table flat at 1.0, HBM 1e12 B/s
  const GemmKernel fp8{kN, kN, kN, 1, Dtype::fp8};
  const GemmKernel bf16{kN, kN, kN, 1, Dtype::bf16};
  const double q = ComputeCostModel(gpu).quantisation_efficiency(fp8);
  ASSERT_GT(q, 0.9);
  // Compute-bound: 1.4e11 FLOP at 2e15 FLOP/s and quantisation q is 71 us, above the 67 us that
  // its 67 MB of operands and output take at 1e12 B/s; a table below 1.0 only widens the gap.
  EXPECT_NEAR(ComputeCostModel(gpu).gemm_time_s(fp8), fp8.flops() / (2000e12 * q), 1e-12);

  gpu.efficiency.gemm_by_dtype[static_cast<std::size_t>(Dtype::fp8)] = testing::flat_curve(0.5);
  const ComputeCostModel model(gpu);
  EXPECT_NEAR(model.gemm_time_s(fp8), fp8.flops() / (2000e12 * 0.5 * q), 1e-12);
  EXPECT_NEAR(model.gemm_time_s(bf16), bf16.flops() / (1000e12 * q), 1e-12);
}

TEST(UnitFp8Gemm, QuantisingTheAOperandAddsOnePassOfFourBytesPerElementAndALaunch) {
  GpuProfile gpu = testing::ideal_gpu();
  gpu.efficiency.kernel_launch_s = 2e-6;
  const ComputeCostModel model(gpu);
  const GemmKernel plain{2 * kN, kN, 3 * kN, 2, Dtype::fp8};
  GemmKernel quantised = plain;
  quantised.quantise_a = true;
  const double cast_s = 4.0 * (2 * kN) * (3 * kN) * 2 / 1e12;
  EXPECT_NEAR(model.gemm_time_s(quantised), model.gemm_time_s(plain) + cast_s + 2e-6, 1e-12);
  EXPECT_EQ(plain.quantise_bytes(), 0.0);
}

// Compute ops of one kind on graph rank 0: fp8 GEMMs that quantise A and those that do not.
struct GemmCounts {
  int quantised = 0, plain = 0, other_dtype = 0;
};

GemmCounts count_gemms(Precision precision) {
  const ModelSpec model = testing::llama_spec(4, 512, 8, 8, 1024, 4096);
  TrainingConfig training;
  training.seq_len = 256;
  training.global_batch = 8;
  training.precision = precision;
  ParallelConfig parallel;
  parallel.tp = 2;
  parallel.sequence_parallel = true;
  parallel.recompute = Recompute::none;
  auto r = build_step_graph(model, training, parallel, parallel.world_size(), GraphMode::reduced);
  EXPECT_TRUE(r.verdict.ok) << r.verdict.reason;
  GemmCounts c;
  const Graph& g = r.step->graph;
  for (const Op& op : g.ops()) {
    if (op.kind != OpKind::compute || op.rank != 0) continue;
    for (std::uint32_t index : g.kernels_of(op)) {
      const auto* k = std::get_if<GemmKernel>(&g.kernel(index));
      if (k == nullptr) continue;
      if (k->dtype != Dtype::fp8) {
        ++c.other_dtype;
      } else if (k->quantise_a) {
        ++c.quantised;
      } else {
        ++c.plain;
      }
    }
  }
  return c;
}

TEST(UnitFp8Gemm, Fp8LinearsQuantiseForwardAndDataGradientInputsButNotTheWeightGradient) {
  // Without recomputation every linear layer runs forward, data-gradient and weight-gradient
  // GEMMs once per micro-batch: two quantising GEMMs for each one that reuses the copies.
  const GemmCounts fp8 = count_gemms(Precision::fp8);
  EXPECT_GT(fp8.plain, 0);
  EXPECT_EQ(fp8.quantised, 2 * fp8.plain);
  EXPECT_EQ(fp8.other_dtype, 0);  // flash attention is not a GEMM op; every linear is fp8
  const GemmCounts bf16 = count_gemms(Precision::bf16);
  EXPECT_EQ(bf16.quantised + bf16.plain, 0);
  EXPECT_EQ(bf16.other_dtype, fp8.quantised + fp8.plain);
}

}  // namespace
}  // namespace ptsim
