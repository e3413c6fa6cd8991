#include "sim/workload/rank_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/rng.h"

namespace ptsim {
namespace {

ParallelConfig sizes(int tp, int pp, int dp, int cp = 1, int ep = 1, int etp = 1,
                     const char* order = kDefaultRankOrder) {
  ParallelConfig p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.cp = cp;
  p.ep = ep;
  p.etp = etp;
  p.rank_order = order;
  return p;
}

// Megatron-Core's worked example (parallel_state/RankGenerator): 8 GPUs, order tp-pp-dp, each 2.
TEST(UnitRankLayout, MegatronWorkedExampleTpPpDp) {
  auto layout = RankLayout::make(sizes(2, 2, 2, 1, 1, 1, "tp-pp-dp"));
  ASSERT_TRUE(layout.ok()) << layout.error().one_line();
  EXPECT_EQ(layout->dp_groups(), (std::vector<std::vector<int>>{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(layout->tp_groups(), (std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
  EXPECT_EQ(layout->pp_groups(), (std::vector<std::vector<int>>{{0, 2}, {1, 3}, {4, 6}, {5, 7}}));
}

// Megatron-LM parallel_state docstring: 16 GPUs, tp 2, pp 4, dp 2, default order (tp innermost,
// then dp, then pp): TP [g0 g1] [g2 g3]..., PP [g0 g4 g8 g12]..., DP [g0 g2] [g1 g3] [g4 g6]...
TEST(UnitRankLayout, MegatronDocstringExampleDefaultOrder) {
  auto layout = RankLayout::make(sizes(2, 4, 2));
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->tp_groups().front(), (std::vector<int>{0, 1}));
  EXPECT_EQ(layout->pp_groups().front(), (std::vector<int>{0, 4, 8, 12}));
  EXPECT_EQ(layout->pp_groups()[1], (std::vector<int>{1, 5, 9, 13}));
  const auto dp = layout->dp_groups();
  EXPECT_EQ(dp[0], (std::vector<int>{0, 2}));
  EXPECT_EQ(dp[1], (std::vector<int>{1, 3}));
  EXPECT_EQ(dp[2], (std::vector<int>{4, 6}));
  EXPECT_EQ(dp.size(), 8u);
}

// Brute force: decode every rank into coordinates with an independent mixed-radix loop and check
// that each group is exactly the set of ranks agreeing on all coordinates outside the group, that
// groups partition the world, and that the expert layout spans the same ranks.
TEST(PropertyRankLayout, GroupsMatchBruteForceOnRandomLayouts) {
  Rng rng(7);
  const std::vector<int> choices = {1, 2, 3, 4};
  const std::vector<std::string> dims = {"tp", "cp", "ep", "dp", "pp"};
  for (int trial = 0; trial < 200; ++trial) {
    ParallelConfig p;
    p.tp = rng.pick(choices);
    p.cp = rng.pick(choices);
    p.dp = rng.pick(choices);
    p.pp = rng.pick(choices);
    // ep and etp must divide tp*cp*dp.
    const int dense = p.tp * p.cp * p.dp;
    std::vector<std::pair<int, int>> expert_options;
    for (int e = 1; e <= dense; ++e) {
      for (int t = 1; t <= dense; ++t) {
        if (dense % (e * t) == 0) expert_options.push_back({e, t});
      }
    }
    std::tie(p.ep, p.etp) = rng.pick(expert_options);
    std::vector<std::string> order = dims;
    for (std::size_t i = order.size() - 1; i > 0; --i) {
      std::swap(order[i],
                order[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)))]);
    }
    p.rank_order = order[0] + "-" + order[1] + "-" + order[2] + "-" + order[3] + "-" + order[4];
    auto layout = RankLayout::make(p);
    ASSERT_TRUE(layout.ok()) << layout.error().one_line();
    const int world = p.world_size();

    // Independent decoding, decoder layout: sizes by name, innermost first as written.
    std::map<std::string, int> dec_size = {
        {"tp", p.tp}, {"cp", p.cp}, {"ep", 1}, {"dp", p.dp}, {"pp", p.pp}};
    std::map<std::string, int> exp_size = {
        {"tp", p.etp}, {"cp", 1}, {"ep", p.ep}, {"dp", dense / (p.ep * p.etp)}, {"pp", p.pp}};
    auto decode = [&](int rank, std::map<std::string, int>& size) {
      std::map<std::string, int> c;
      for (const auto& d : order) {
        c[d] = rank % size[d];
        rank /= size[d];
      }
      return c;
    };
    auto check = [&](const std::vector<std::vector<int>>& groups, std::map<std::string, int>& size,
                     std::set<std::string> in_group) {
      std::set<int> seen;
      for (const auto& g : groups) {
        std::set<int> expected;
        const auto c0 = decode(g.front(), size);
        for (int r = 0; r < world; ++r) {
          const auto c = decode(r, size);
          bool same = true;
          for (const auto& d : order) {
            if (!in_group.contains(d) && c.at(d) != c0.at(d)) same = false;
          }
          if (same) expected.insert(r);
        }
        EXPECT_EQ(std::set<int>(g.begin(), g.end()), expected) << p.rank_order;
        for (int r : g)
          EXPECT_TRUE(seen.insert(r).second) << "rank in two groups";
      }
      EXPECT_EQ(static_cast<int>(seen.size()), world);
    };
    check(layout->tp_groups(), dec_size, {"tp"});
    check(layout->cp_groups(), dec_size, {"cp"});
    check(layout->dp_groups(), dec_size, {"dp"});
    check(layout->dp_cp_groups(), dec_size, {"dp", "cp"});
    check(layout->pp_groups(), dec_size, {"pp"});
    check(layout->etp_groups(), exp_size, {"tp"});
    check(layout->ep_groups(), exp_size, {"ep"});
    check(layout->edp_groups(), exp_size, {"dp"});
    for (int r = 0; r < world; ++r) {
      const auto c = layout->coords(r);
      EXPECT_EQ(layout->rank_of(c.tp, c.cp, c.dp, c.pp), r);
    }
    EXPECT_EQ(layout->pipeline_groups_agree(), layout->pp_groups() == layout->expert_pp_groups())
        << p.rank_order;
    // One rank's group, computed alone, is the group of the full list that holds it, members in
    // the same (ring) order.
    auto holding = [](const std::vector<std::vector<int>>& groups, int r) {
      for (const auto& g : groups) {
        if (std::find(g.begin(), g.end(), r) != g.end()) return g;
      }
      return std::vector<int>{};
    };
    for (int r = 0; r < world; ++r) {
      EXPECT_EQ(layout->tp_group_of(r), holding(layout->tp_groups(), r)) << p.rank_order;
      EXPECT_EQ(layout->cp_group_of(r), holding(layout->cp_groups(), r)) << p.rank_order;
      EXPECT_EQ(layout->dp_cp_group_of(r), holding(layout->dp_cp_groups(), r)) << p.rank_order;
      EXPECT_EQ(layout->etp_group_of(r), holding(layout->etp_groups(), r)) << p.rank_order;
      EXPECT_EQ(layout->ep_group_of(r), holding(layout->ep_groups(), r)) << p.rank_order;
      EXPECT_EQ(layout->edp_group_of(r), holding(layout->edp_groups(), r)) << p.rank_order;
    }
  }
}

TEST(UnitRankLayout, DefaultOrderKeepsTensorParallelPeersAdjacent) {
  auto layout = RankLayout::make(sizes(8, 2, 4, 2));
  ASSERT_TRUE(layout.ok());
  for (const auto& g : layout->tp_groups()) {
    EXPECT_EQ(g.back() - g.front(), 7);  // eight consecutive ranks: one DGX node
    EXPECT_EQ(g.front() % 8, 0);
  }
}

TEST(UnitRankLayout, BadOrderStringsAreInputErrors) {
  auto unknown = RankLayout::make(sizes(2, 1, 2, 1, 1, 1, "tp-xx-dp"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown dimension 'xx'"), std::string::npos);
  auto twice = RankLayout::make(sizes(2, 1, 2, 1, 1, 1, "tp-dp-tp"));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("appears twice"), std::string::npos);
  auto missing = RankLayout::make(sizes(2, 2, 2, 1, 1, 1, "tp-dp"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().source, "--rank-order");
  EXPECT_NE(missing.error().message.find("leaves out pp"), std::string::npos);
}

}  // namespace
}  // namespace ptsim
