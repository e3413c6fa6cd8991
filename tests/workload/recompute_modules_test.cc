// Megatron-Core's --recompute-modules names as ParallelConfig reads and writes them.
#include <gtest/gtest.h>

#include <string>

#include "sim/workload/parallel_config.h"

namespace ptsim {
namespace {

TEST(UnitRecomputeModules, EveryModuleSetRoundTripsThroughItsName) {
  for (std::uint8_t modules = 1; modules <= kRecomputeModuleAll; ++modules) {
    const std::string name = recompute_modules_name(modules);
    std::uint8_t parsed = 0;
    ASSERT_TRUE(parse_recompute_modules(name, parsed)) << name;
    EXPECT_EQ(parsed, modules) << name;
  }
  EXPECT_EQ(recompute_modules_name(kRecomputeCoreAttn), "core_attn");
  EXPECT_EQ(recompute_modules_name(kRecomputeLayernorm | kRecomputeMoe), "layernorm,moe");
}

TEST(UnitRecomputeModules, ListsParseInAnyOrderWithCommasOrSpaces) {
  std::uint8_t m = 0;
  ASSERT_TRUE(parse_recompute_modules("moe, layernorm", m));
  EXPECT_EQ(m, kRecomputeLayernorm | kRecomputeMoe);
  ASSERT_TRUE(parse_recompute_modules("moe_act layernorm", m));
  EXPECT_EQ(m, kRecomputeLayernorm | kRecomputeMoeAct);
}

TEST(UnitRecomputeModules, UnknownOrEmptyListsAreRejectedAndLeaveTheValue) {
  std::uint8_t m = kRecomputeMlp;
  EXPECT_FALSE(parse_recompute_modules("core_attn,attention", m));
  EXPECT_FALSE(parse_recompute_modules("", m));
  EXPECT_FALSE(parse_recompute_modules(" , ", m));
  EXPECT_EQ(m, kRecomputeMlp);
}

TEST(UnitRecomputeModules, OnlySelectiveRecomputationRunsModules) {
  ParallelConfig p;
  p.recompute_modules = kRecomputeMoe;
  for (Recompute r : {Recompute::none, Recompute::full}) {
    p.recompute = r;
    EXPECT_FALSE(p.recomputes(kRecomputeMoe)) << recompute_name(r);
  }
  p.recompute = Recompute::selective;
  EXPECT_TRUE(p.recomputes(kRecomputeMoe));
  EXPECT_FALSE(p.recomputes(kRecomputeCoreAttn));
}

}  // namespace
}  // namespace ptsim
