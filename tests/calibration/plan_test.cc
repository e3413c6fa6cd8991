// The plan of a calibration: flags parsed, GEMM shapes generated from model dimensions, sizes of
// the memory and collective sweeps.
#include "calibration/plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "calibration/gemm_shapes.h"
#include "calibration/size_units.h"

namespace ptsim {
namespace {

TEST(UnitPlan, AreasParseInCanonicalOrderAndRejectUnknownNames) {
  auto a = parse_areas("nccl,gemm", "--what");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<Area>{Area::gemm, Area::nccl}));
  EXPECT_EQ(parse_areas("all", "--what")->size(), 5u);
  auto bad = parse_areas("gemm,fft", "--what");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().source, "--what");
  EXPECT_NE(bad.error().message.find("fft"), std::string::npos);
  EXPECT_FALSE(parse_areas("", "--what").ok());
}

TEST(UnitPlan, ByteSizesTakeBinarySuffixesAsNcclTestsDoes) {
  EXPECT_EQ(*parse_byte_size("8", "--min-bytes"), 8);
  EXPECT_EQ(*parse_byte_size("64K", "--min-bytes"), 65536);
  EXPECT_EQ(*parse_byte_size("128M", "--max-bytes"), 134217728);
  EXPECT_EQ(*parse_byte_size("8g", "--max-bytes"), 8589934592LL);
  for (const char* bad : {"", "M", "12X", "1.5M", "-4", "99999999999999G"}) {
    auto r = parse_byte_size(bad, "--max-bytes");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().source, "--max-bytes");
  }
  EXPECT_EQ(format_byte_size(134217728), "128M");
  EXPECT_EQ(format_byte_size(1000), "1000");
}

TEST(UnitGemmShapes, ContainsTheMegatronShapesOfLlama3_70bAtTp8) {
  // Llama 3 70B: hidden 8192, 64 query and 8 KV heads of 128, FFN 28672, vocabulary 128256.
  // TP 8, micro-batch 1, seq 8192: QKV n = (64 + 2 * 8) * 128 / 8 = 1280; SwiGLU up n = 2 *
  // 28672 / 8 = 7168; down k = 3584; logits n = 16032.
  GemmShapeOptions opt;
  opt.models = {"llama3-70b"};
  opt.tensor_parallel = {8};
  opt.micro_batch = {1};
  opt.grid = {};
  const auto shapes = generate_gemm_shapes(opt);
  const auto has = [&](std::int64_t m, std::int64_t n, std::int64_t k) {
    return std::any_of(shapes.begin(), shapes.end(),
                       [&](const GemmShape& s) { return s.m == m && s.n == n && s.k == k; });
  };
  EXPECT_TRUE(has(8192, 1280, 8192));   // QKV forward
  EXPECT_TRUE(has(8192, 8192, 1280));   // QKV data gradient
  EXPECT_TRUE(has(1280, 8192, 8192));   // QKV weight gradient
  EXPECT_TRUE(has(8192, 7168, 8192));   // MLP up
  EXPECT_TRUE(has(8192, 8192, 3584));   // MLP down
  EXPECT_TRUE(has(8192, 16032, 8192));  // logits
  EXPECT_TRUE(has(8192, 8192, 1024));   // attention output: k = 64 * 128 / 8
  // 6 linear layers' worth: 5 forward GEMMs, 3 GEMMs each, minus coincidences.
  EXPECT_LE(shapes.size(), 15u);
  EXPECT_TRUE(std::is_sorted(shapes.begin(), shapes.end()));
  EXPECT_EQ(shapes.front().origin.rfind("llama3-70b tp8 mb1", 0), 0u);
}

TEST(UnitGemmShapes, MixtralExpertsSeeTheirShareOfTokens) {
  GemmShapeOptions opt;
  opt.models = {"mixtral-8x7b"};
  opt.tensor_parallel = {1};
  opt.micro_batch = {1};
  opt.backward = false;
  opt.grid = {};
  const auto shapes = generate_gemm_shapes(opt);
  // 4096 tokens x top-2 / 8 experts = 1024 tokens per expert; gate+up n = 2 * 14336.
  EXPECT_TRUE(std::any_of(shapes.begin(), shapes.end(), [](const GemmShape& s) {
    return s.m == 1024 && s.n == 28672 && s.k == 4096;
  }));
}

TEST(UnitPlan, QuickPlanIsSmallAndFullPlanCoversEveryArea) {
  CalibrationSettings quick;
  quick.quick = true;
  const CalibrationPlan q = make_plan(quick);
  const CalibrationPlan full = make_plan(CalibrationSettings{});
  EXPECT_LT(q.points(), full.points() / 4);
  EXPECT_GT(q.gemms.size(), 20u);
  EXPECT_EQ(q.gemm_candidates, 4);
  EXPECT_EQ(full.gemm_candidates, 4);
  for (const auto& g : full.gemms) {
    EXPECT_LE(g.flops(), std::pow(2.0, 43)) << g.m << "x" << g.n << "x" << g.k;
    if (g.dtype == Dtype::fp8) {
      EXPECT_TRUE(g.m % 16 == 0 && g.n % 16 == 0 && g.k % 16 == 0);
    }
  }
  EXPECT_FALSE(full.attention.empty());
  EXPECT_FALSE(full.interference.held_sms.empty());
  // Collective sizes double from --min-bytes to --max-bytes, as nccl-tests -f 2.
  ASSERT_EQ(full.collectives.bytes.size(), 31u);  // 8 B .. 8 GiB
  EXPECT_EQ(full.collectives.bytes.front(), 8.0);
  EXPECT_EQ(full.collectives.bytes.back(), 8.0 * (1 << 30));
  EXPECT_EQ(q.collectives.bytes.back(), 64.0 * (1 << 20));
}

TEST(UnitPlan, MemoryPointsAreWholeRowsAndStartWithTheEmptyKernel) {
  const CalibrationPlan p = make_plan(CalibrationSettings{});
  ASSERT_FALSE(p.memory.empty());
  EXPECT_EQ(p.memory.front().op, MemoryOp::empty);
  for (const auto& m : p.memory) {
    EXPECT_EQ(m.elements % memory_op_row(m.op), 0) << memory_op_name(m.op);
    EXPECT_DOUBLE_EQ(m.bytes, m.elements * memory_op_bytes_per_element(m.op));
    EXPECT_LE(m.bytes, kMemorySweepMaxBytes);
  }
  // Cross-entropy rows are a whole vocabulary: the smallest point is one row.
  EXPECT_EQ(memory_op_elements_for_bytes(MemoryOp::cross_entropy, 1024), 128256);
}

TEST(UnitPlan, SettingsRejectImpossibleValues) {
  CalibrationSettings s;
  s.iters = 0;
  EXPECT_EQ(s.validate().error().source, "--iters");
  s = CalibrationSettings{};
  s.min_bytes = 1 << 20;
  s.max_bytes = 1024;
  EXPECT_EQ(s.validate().error().source, "--max-bytes");
  EXPECT_TRUE(CalibrationSettings{}.validate().ok());
}

}  // namespace
}  // namespace ptsim
