// The GPU benchmarks on a real device: results against exact or reference values on small shapes.
// Every test skips, with the reason, where there is no GPU (or no CUDA in this build); any CUDA
// error from cudaGetDeviceCount counts as no GPU (error 35 without a driver).
#include <gtest/gtest.h>

#include "calibration/measurement.h"
#include "calibration/plan.h"

#if PTSIM_HAVE_CUDA
#include "calibration/gpu/device.h"
#include "calibration/gpu/self_test.h"
#endif

namespace ptsim {
namespace {

[[maybe_unused]] HarnessSettings small_run() {
  HarnessSettings h;
  h.iters = 3;
  h.warmup = 1;
  h.repetitions = 2;
  h.seed = 11;
  return h;
}

#if PTSIM_HAVE_CUDA
#define PTSIM_REQUIRE_GPU()                                        \
  do {                                                             \
    auto devices = gpu::cuda_device_count();                       \
    if (!devices.ok()) GTEST_SKIP() << devices.error().one_line(); \
  } while (false)
#else
#define PTSIM_REQUIRE_GPU() GTEST_SKIP() << "this build has no CUDA support (PTSIM_HAVE_CUDA off)"
#endif

TEST(GpuCalibration, GemmOutputsEqualTheExactSumsOfTheSeededInputs) {
  PTSIM_REQUIRE_GPU();
#if PTSIM_HAVE_CUDA
  const bool fp8 = gpu::device_supports_fp8().value();
  for (Dtype d : {Dtype::bf16, Dtype::tf32, Dtype::fp8}) {
    if (d == Dtype::fp8 && !fp8) continue;
    for (auto [m, n, k] :
         {std::tuple{64, 64, 64}, std::tuple{256, 128, 512}, std::tuple{48, 80, 1024}}) {
      auto g = gpu::self_test_gemm(m, n, k, d, 2, small_run());
      ASSERT_TRUE(g.ok()) << g.error().one_line();
      EXPECT_EQ(g->wrong, 0) << dtype_name(d) << " " << m << "x" << n << "x" << k;
      EXPECT_GE(g->candidates, 1);
      EXPECT_GT(g->timing.median_s, 0);
      EXPECT_LE(g->timing.min_s, g->timing.median_s);
      EXPECT_LE(g->timing.median_s, g->timing.max_s);
      EXPECT_LE(g->best_s, g->timing.median_s);
    }
  }
#endif
}

TEST(GpuCalibration, AttentionMatchesTheStraightforwardReference) {
  PTSIM_REQUIRE_GPU();
#if PTSIM_HAVE_CUDA
  // Grouped-query and multi-head, both head dims, causal and not; seq a few tiles long.
  struct Case {
    int batch, heads, kv_heads, seq, head_dim;
    bool causal;
  };
  for (const Case& c : {Case{1, 4, 2, 128, 64, true}, Case{2, 2, 2, 64, 128, false},
                        Case{1, 4, 1, 192, 128, true}, Case{1, 2, 2, 128, 64, false}}) {
    AttentionMeasurement a;
    a.batch = c.batch;
    a.heads = c.heads;
    a.kv_heads = c.kv_heads;
    a.seq = c.seq;
    a.head_dim = c.head_dim;
    a.causal = c.causal;
    auto r = gpu::self_test_attention(a, 5);
    ASSERT_TRUE(r.ok()) << r.error().one_line();
    EXPECT_EQ(r->wrong, 0) << "max |error| " << r->max_abs_error << " over " << r->checked
                           << "; worst " << r->worst;
    EXPECT_GT(r->checked, 0);
  }
#endif
}

TEST(GpuCalibration, MemoryBoundKernelsMatchTheirFormulas) {
  PTSIM_REQUIRE_GPU();
#if PTSIM_HAVE_CUDA
  for (int i = 0; i < kMemoryOpCount; ++i) {
    const auto op = static_cast<MemoryOp>(i);
    auto m = gpu::self_test_memory(op, 4 << 20, small_run());
    ASSERT_TRUE(m.ok()) << memory_op_name(op) << ": " << m.error().one_line();
    EXPECT_EQ(m->wrong, 0) << memory_op_name(op);
    EXPECT_GT(m->timing.median_s, 0) << memory_op_name(op);
  }
#endif
}

TEST(GpuCalibration, SingleRankNcclCollectivesAreCorrect) {
  PTSIM_REQUIRE_GPU();
#if PTSIM_HAVE_CUDA && PTSIM_HAVE_NCCL
  for (int i = 0; i < kCollectiveCount; ++i) {
    const auto c = static_cast<Collective>(i);
    auto m = gpu::self_test_single_rank_collective(c, 1 << 20, small_run());
    ASSERT_TRUE(m.ok()) << collective_name(c) << ": " << m.error().one_line();
    EXPECT_EQ(m->wrong, 0) << collective_name(c);
    EXPECT_EQ(m->ranks, 1);
    EXPECT_EQ(m->busbw_bytes_per_s, 0.0);  // launch overhead only (BUSBW.md)
  }
#else
  GTEST_SKIP() << "this build has no NCCL";
#endif
}

}  // namespace
}  // namespace ptsim
