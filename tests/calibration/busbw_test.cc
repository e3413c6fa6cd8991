// Bus-bandwidth factors and message sizes against nccl-tests' table as quoted in
// shared/validation/formulas.md section 5 (NVIDIA/nccl-tests doc/PERFORMANCE.md).
#include <gtest/gtest.h>

#include "calibration/collective.h"

namespace ptsim {
namespace {

TEST(ValidationBusbw, FactorsMatchNcclTestsForEightRanks) {
  // formulas.md section 5, "[computed here] n = 8: all-reduce factor 1.75, all-gather /
  // reduce-scatter factor 0.875".
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::all_reduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::all_gather, 8), 0.875);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::reduce_scatter, 8), 0.875);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::all_to_all, 8), 0.875);  // (n-1)/n, same table
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::send_recv, 8), 1.0);
}

TEST(ValidationBusbw, FactorsFollowTheClosedFormsForAnyGroupSize) {
  for (int n : {2, 3, 4, 16, 1024}) {
    EXPECT_DOUBLE_EQ(busbw_factor(Collective::all_reduce, n), 2.0 * (n - 1) / n) << n;
    EXPECT_DOUBLE_EQ(busbw_factor(Collective::all_gather, n), (n - 1.0) / n) << n;
  }
}

TEST(ValidationBusbw, OneRankMovesNothingSoBusbwIsZero) {
  for (auto c : {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                 Collective::all_to_all}) {
    EXPECT_EQ(busbw_factor(c, 1), 0.0) << collective_name(c);
  }
}

TEST(ValidationBusbw, MessageSizeCountsEveryRanksShareForGatherScatterAndAllToAll) {
  // formulas.md section 5: RS S = recvcount * sizeof * n, AG S = sendcount * sizeof * n.
  EXPECT_DOUBLE_EQ(collective_message_bytes(Collective::reduce_scatter, 1000, 8, 4), 32000.0);
  EXPECT_DOUBLE_EQ(collective_message_bytes(Collective::all_gather, 1000, 8, 4), 32000.0);
  EXPECT_DOUBLE_EQ(collective_message_bytes(Collective::all_to_all, 1000, 8, 4), 32000.0);
  EXPECT_DOUBLE_EQ(collective_message_bytes(Collective::all_reduce, 1000, 8, 4), 4000.0);
  EXPECT_DOUBLE_EQ(collective_message_bytes(Collective::send_recv, 1000, 8, 4), 4000.0);
}

TEST(UnitBusbw, CountForBytesInvertsMessageSize) {
  for (int ci = 0; ci < kCollectiveCount; ++ci) {
    const auto c = static_cast<Collective>(ci);
    const std::int64_t count = collective_count_for_bytes(c, 1 << 20, 8, 4);
    EXPECT_EQ(collective_message_bytes(c, count, 8, 4), 1 << 20) << collective_name(c);
  }
  EXPECT_EQ(collective_count_for_bytes(Collective::all_gather, 16, 8, 4), 0);  // < 1 per rank
}

TEST(UnitBusbw, RingStepsFollowThakurEtAl) {
  // Ring all-reduce 2(p-1) steps, all-gather / reduce-scatter p-1 (Thakur et al. 2005).
  EXPECT_EQ(collective_steps(Collective::all_reduce, 8), 14);
  EXPECT_EQ(collective_steps(Collective::all_gather, 8), 7);
  EXPECT_EQ(collective_steps(Collective::reduce_scatter, 4), 3);
  EXPECT_EQ(collective_steps(Collective::send_recv, 8), 1);
}

TEST(UnitBusbw, NamesRoundTripAndUnknownNamesAreInputErrors) {
  for (int ci = 0; ci < kCollectiveCount; ++ci) {
    const auto c = static_cast<Collective>(ci);
    auto parsed = parse_collective(collective_name(c), "f", "/x");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c);
  }
  auto bad = parse_collective("broadcast", "f.jsonl", "/collective");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "/collective");
}

}  // namespace
}  // namespace ptsim
