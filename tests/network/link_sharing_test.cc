// Max-min bandwidth sharing against closed forms computed by hand (derivations in each test).
// Tolerances: rates and times come out of a handful of floating-point operations on exact inputs,
// so 1e-12 relative covers rounding with a wide margin while any modelling error (a wrong share,
// a missed re-share) is off by percents.
#include "sim/network/link_sharing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

namespace ptsim {
namespace {

constexpr double kRel = 1e-12;
constexpr double kGB = 1e9;  // bytes per GB (decimal, as link rates are quoted)

void expect_near_rel(double actual, double expected, double rel = kRel) {
  EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected)))
      << "actual " << actual << " expected " << expected;
}

// Drives the sharing as the simulator does: jump to the next completion, collect finished flows.
// Returns each flow's finish time, keyed by start order.
std::map<FlowId, double> run_to_completion(LinkSharing& sharing) {
  std::map<FlowId, double> finish;
  while (sharing.active_flows() > 0) {
    const double t = sharing.next_completion_s();
    EXPECT_TRUE(std::isfinite(t));
    const std::vector<FlowId> done = sharing.finish_due(t);
    EXPECT_FALSE(done.empty()) << "finish_due(next_completion_s()) removed nothing at " << t;
    if (done.empty()) break;
    for (FlowId f : done)
      finish[f] = t;
  }
  return finish;
}

TEST(UnitLinkSharing, OneFlowAloneFinishesAtBytesOverCapacity) {
  // t = S / C = 3e9 B / 40e9 B/s = 0.075 s.
  LinkSharing s;
  const LinkId link = s.add_link(40 * kGB, SharingPolicy::shared);
  const FlowId f = s.start_flow(0, std::vector<LinkUse>{{link, 1}}, 3 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f), 40 * kGB);
  expect_near_rel(s.next_completion_s(), 3.0 / 40.0);
  s.advance(0.05);
  expect_near_rel(s.remaining_bytes(f), 3 * kGB - 0.05 * 40 * kGB);
  EXPECT_TRUE(s.finish_due(0.07).empty());
  const auto done = s.finish_due(3.0 / 40.0);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], f);
  EXPECT_EQ(s.active_flows(), 0u);
  EXPECT_EQ(s.next_completion_s(), LinkSharing::kInfinity);
}

TEST(UnitLinkSharing, TwoEqualFlowsOnOneLinkEachGetHalfAndFinishAtTwiceTheTime) {
  // Each gets C/2, so both finish at S / (C/2) = 2 S / C = 2 * 1e9 / 10e9 = 0.2 s.
  LinkSharing s;
  const LinkId link = s.add_link(10 * kGB, SharingPolicy::shared);
  const FlowId a = s.start_flow(0, std::vector<LinkUse>{{link, 1}}, kGB);
  const FlowId b = s.start_flow(0, std::vector<LinkUse>{{link, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(a), 5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(b), 5 * kGB);
  expect_near_rel(s.load_bytes_per_s(link), 10 * kGB);
  const auto done = s.finish_due(s.next_completion_s());
  EXPECT_EQ(done, (std::vector<FlowId>{a, b}));  // together, in start order
  expect_near_rel(s.now_s(), 0.2);
}

TEST(UnitLinkSharing, TextbookThreeFlowsOnTwoLinks) {
  // Links A = 10 GB/s, B = 4 GB/s; flow 1 on A, flow 2 on A and B, flow 3 on B.
  // Progressive filling: shares A: 10/2 = 5, B: 4/2 = 2. B saturates first and fixes flows 2 and 3
  // at 2 GB/s. A has 10 - 2 = 8 left for flow 1 alone: 8 GB/s. (Bertsekas & Gallager, Data
  // Networks, section 6.5.2, the same construction.)
  LinkSharing s;
  const LinkId a = s.add_link(10 * kGB, SharingPolicy::shared);
  const LinkId b = s.add_link(4 * kGB, SharingPolicy::shared);
  const FlowId f1 = s.start_flow(0, std::vector<LinkUse>{{a, 1}}, kGB);
  const FlowId f2 = s.start_flow(0, std::vector<LinkUse>{{a, 1}, {b, 1}}, kGB);
  const FlowId f3 = s.start_flow(0, std::vector<LinkUse>{{b, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(f1), 8 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f2), 2 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f3), 2 * kGB);
  expect_near_rel(s.load_bytes_per_s(a), 10 * kGB);
  expect_near_rel(s.load_bytes_per_s(b), 4 * kGB);
}

TEST(UnitLinkSharing, TwoBottleneckLevelsFillInOrder) {
  // L1 = 1 GB/s carries f0, f1; L2 = 2 GB/s carries f0, f2, f3. Shares: L1 1/2 = 0.5, L2 2/3.
  // L1 saturates first: f0 = f1 = 0.5. L2 then has 2 - 0.5 = 1.5 for f2 and f3: 0.75 each.
  LinkSharing s;
  const LinkId l1 = s.add_link(1 * kGB, SharingPolicy::shared);
  const LinkId l2 = s.add_link(2 * kGB, SharingPolicy::shared);
  const FlowId f0 = s.start_flow(0, std::vector<LinkUse>{{l1, 1}, {l2, 1}}, kGB);
  const FlowId f1 = s.start_flow(0, std::vector<LinkUse>{{l1, 1}}, kGB);
  const FlowId f2 = s.start_flow(0, std::vector<LinkUse>{{l2, 1}}, kGB);
  const FlowId f3 = s.start_flow(0, std::vector<LinkUse>{{l2, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(f0), 0.5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f1), 0.5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f2), 0.75 * kGB);
  expect_near_rel(s.rate_bytes_per_s(f3), 0.75 * kGB);
}

TEST(UnitLinkSharing, WeightedFlowConsumesWeightTimesItsRate) {
  // A ring step crossing the link on 2 hops (w = 2) and a plain flow (w = 1) on C = 12 GB/s.
  // Rates rise together: 2r + r = 12, so r = 4 GB/s each; the link carries 8 + 4 = 12.
  LinkSharing s;
  const LinkId link = s.add_link(12 * kGB, SharingPolicy::shared);
  const FlowId ring = s.start_flow(0, std::vector<LinkUse>{{link, 2}}, kGB);
  const FlowId plain = s.start_flow(0, std::vector<LinkUse>{{link, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(ring), 4 * kGB);
  expect_near_rel(s.rate_bytes_per_s(plain), 4 * kGB);
  expect_near_rel(s.load_bytes_per_s(link), 12 * kGB);
}

TEST(UnitLinkSharing, FlowOfWeightRBehavesLikeRIdenticalFlows) {
  // Reduced graph: one flow of weight 3 stands for 3 identical flows. Beside one other flow on
  // C = 8 GB/s, the full picture is 4 flows of C/4 = 2 GB/s; the reduced one must give each the
  // same.
  LinkSharing reduced;
  const LinkId l = reduced.add_link(8 * kGB, SharingPolicy::shared);
  const FlowId rep = reduced.start_flow(0, std::vector<LinkUse>{{l, 3}}, kGB);
  const FlowId other = reduced.start_flow(0, std::vector<LinkUse>{{l, 1}}, kGB);
  LinkSharing full;
  const LinkId lf = full.add_link(8 * kGB, SharingPolicy::shared);
  std::vector<FlowId> flows;
  for (int i = 0; i < 4; ++i)
    flows.push_back(full.start_flow(0, std::vector<LinkUse>{{lf, 1}}, kGB));
  expect_near_rel(reduced.rate_bytes_per_s(rep), 2 * kGB);
  expect_near_rel(reduced.rate_bytes_per_s(other), 2 * kGB);
  for (FlowId f : flows)
    EXPECT_EQ(full.rate_bytes_per_s(f), reduced.rate_bytes_per_s(rep));
  EXPECT_EQ(reduced.next_completion_s(), full.next_completion_s());
}

TEST(UnitLinkSharing, RepeatedLinkInOneFlowCountsWithTheSumOfItsWeights) {
  // {L, 1} twice is {L, 2}: alone on C = 6 GB/s the rate is C / 2 = 3 GB/s.
  LinkSharing s;
  const LinkId l = s.add_link(6 * kGB, SharingPolicy::shared);
  const FlowId f = s.start_flow(0, std::vector<LinkUse>{{l, 1}, {l, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(f), 3 * kGB);
}

TEST(UnitLinkSharing, FatPipeLimitsEachFlowButNeverShares) {
  // Fat pipe of 5 GB/s: three flows alone on it each get min(5 / w) = 5 GB/s (15 in total); one of
  // weight 2 gets 2.5. A flow across the fat pipe and a shared 20 GB/s link it shares with a plain
  // flow: the first is held at 5 by the fat pipe, the second takes 20 - 5 = 15.
  LinkSharing s;
  const LinkId fat = s.add_link(5 * kGB, SharingPolicy::fat_pipe);
  const LinkId shared = s.add_link(20 * kGB, SharingPolicy::shared);
  std::vector<FlowId> alone;
  for (int i = 0; i < 3; ++i)
    alone.push_back(s.start_flow(0, std::vector<LinkUse>{{fat, 1}}, kGB));
  const FlowId heavy = s.start_flow(0, std::vector<LinkUse>{{fat, 2}}, kGB);
  const FlowId crossing = s.start_flow(0, std::vector<LinkUse>{{fat, 1}, {shared, 1}}, kGB);
  const FlowId plain = s.start_flow(0, std::vector<LinkUse>{{shared, 1}}, kGB);
  for (FlowId f : alone)
    expect_near_rel(s.rate_bytes_per_s(f), 5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(heavy), 2.5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(crossing), 5 * kGB);
  expect_near_rel(s.rate_bytes_per_s(plain), 15 * kGB);
  expect_near_rel(s.load_bytes_per_s(fat), (3 * 5 + 2 * 2.5 + 5) * kGB);  // reported, not bounded
}

TEST(UnitLinkSharing, RateBoundCapsAFlowAndTheRestGoesToOthers) {
  // Bound 1 GB/s on a 10 GB/s link beside an unbounded flow: 1 and 10 - 1 = 9.
  LinkSharing s;
  const LinkId l = s.add_link(10 * kGB, SharingPolicy::shared);
  const FlowId bounded = s.start_flow(0, std::vector<LinkUse>{{l, 1}}, kGB, 1 * kGB);
  const FlowId free = s.start_flow(0, std::vector<LinkUse>{{l, 1}}, kGB);
  expect_near_rel(s.rate_bytes_per_s(bounded), 1 * kGB);
  expect_near_rel(s.rate_bytes_per_s(free), 9 * kGB);
  // A bound above the fair share does not bind: 2 flows on 10 GB/s with bound 7 get 5 each.
  LinkSharing t;
  const LinkId m = t.add_link(10 * kGB, SharingPolicy::shared);
  const FlowId loose = t.start_flow(0, std::vector<LinkUse>{{m, 1}}, kGB, 7 * kGB);
  t.start_flow(0, std::vector<LinkUse>{{m, 1}}, kGB);
  expect_near_rel(t.rate_bytes_per_s(loose), 5 * kGB);
}

TEST(UnitLinkSharing, FlowStartingMidwayResharesThePiecewiseClosedForm) {
  // C = 10 B/s. A: 100 B from t = 0; B: 40 B from t = 5.
  // [0, 5): A alone at 10 B/s, 50 B left. From 5: both at 5 B/s; B needs 40 / 5 = 8 s -> t_B = 13,
  // when A has 50 - 40 = 10 B left; then A alone at 10 B/s for 1 s -> t_A = 14.
  LinkSharing s;
  const LinkId l = s.add_link(10, SharingPolicy::shared);
  const FlowId a = s.start_flow(0, std::vector<LinkUse>{{l, 1}}, 100);
  expect_near_rel(s.next_completion_s(), 10.0);
  const FlowId b = s.start_flow(5, std::vector<LinkUse>{{l, 1}}, 40);
  expect_near_rel(s.remaining_bytes(a), 50);
  expect_near_rel(s.rate_bytes_per_s(a), 5);
  const auto finish = run_to_completion(s);
  expect_near_rel(finish.at(b), 13.0);
  expect_near_rel(finish.at(a), 14.0);
}

TEST(UnitLinkSharing, ProcessorSharingFinishTimesMatchTheClosedForm) {
  // n flows start together on one link (egalitarian processor sharing, Kleinrock, Queueing Systems
  // vol. 2, section 4.4). With sizes sorted b_1 <= ... <= b_n, the k-th finishes at
  // t_k = t_{k-1} + (n - k + 1)(b_k - b_{k-1}) / C, and the last at sum(b) / C (work conservation).
  const std::vector<double> bytes = {7e6, 1e6, 3.5e6, 3.5e6, 12e6, 0.25e6, 9e6};
  const double capacity = 3e9;
  LinkSharing s;
  const LinkId l = s.add_link(capacity, SharingPolicy::shared);
  std::vector<FlowId> ids;
  for (double b : bytes)
    ids.push_back(s.start_flow(0, std::vector<LinkUse>{{l, 1}}, b));
  const auto finish = run_to_completion(s);
  std::vector<std::size_t> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return bytes[x] < bytes[y]; });
  double t = 0;
  double prev = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const double n_left = static_cast<double>(order.size() - k);
    t += n_left * (bytes[order[k]] - prev) / capacity;
    prev = bytes[order[k]];
    expect_near_rel(finish.at(ids[order[k]]), t, 1e-12);
  }
  expect_near_rel(t, std::accumulate(bytes.begin(), bytes.end(), 0.0) / capacity);
}

TEST(UnitLinkSharing, FlowNeverFinishesEarlierThanTheRoundingSlack) {
  // 1/3 GB on 7 GB/s: an inexact finish time. Slightly before it nothing is due; at it, the flow
  // is.
  LinkSharing s;
  const LinkId l = s.add_link(7 * kGB, SharingPolicy::shared);
  const FlowId f = s.start_flow(1.0, std::vector<LinkUse>{{l, 1}}, kGB / 3);
  const double t = s.next_completion_s();
  expect_near_rel(t, 1.0 + (1.0 / 3) / 7);
  EXPECT_TRUE(s.finish_due(t * (1 - 1e-10)).empty());
  EXPECT_EQ(s.finish_due(t), std::vector<FlowId>{f});
}

TEST(UnitLinkSharing, ZeroBytesAndUnconstrainedFlowsFinishAtOnce) {
  LinkSharing s;
  const LinkId l = s.add_link(1 * kGB, SharingPolicy::shared);
  const LinkId infinite = s.add_link(LinkSharing::kInfinity, SharingPolicy::shared);
  const FlowId empty = s.start_flow(2.0, std::vector<LinkUse>{{l, 1}}, 0);
  const FlowId free = s.start_flow(2.0, std::vector<LinkUse>{{infinite, 1}}, kGB);
  const FlowId nowhere = s.start_flow(2.0, {}, kGB);
  EXPECT_EQ(s.rate_bytes_per_s(free), LinkSharing::kInfinity);
  EXPECT_EQ(s.remaining_bytes(free), 0);
  EXPECT_EQ(s.next_completion_s(), 2.0);
  EXPECT_EQ(s.finish_due(2.0), (std::vector<FlowId>{empty, free, nowhere}));
}

TEST(UnitLinkSharing, FinishDueSeesFlowsStartedAtTheSameInstant) {
  // No query in between: finish_due must solve before deciding what is done.
  LinkSharing s;
  const LinkId l = s.add_link(1 * kGB, SharingPolicy::shared);
  const FlowId empty = s.start_flow(3.0, std::vector<LinkUse>{{l, 1}}, 0);
  const FlowId busy = s.start_flow(3.0, std::vector<LinkUse>{{l, 1}}, kGB);
  EXPECT_EQ(s.finish_due(3.0), std::vector<FlowId>{empty});
  expect_near_rel(s.rate_bytes_per_s(busy), kGB);  // alone once the empty flow is gone
}

TEST(UnitLinkSharing, FinishedSlotsAreReusedWithANewGeneration) {
  LinkSharing s;
  const LinkId l = s.add_link(1 * kGB, SharingPolicy::shared);
  const FlowId first = s.start_flow(0, std::vector<LinkUse>{{l, 1}}, kGB);
  ASSERT_EQ(s.finish_due(1.0), std::vector<FlowId>{first});
  EXPECT_FALSE(s.active(first));
  const FlowId second = s.start_flow(1.0, std::vector<LinkUse>{{l, 1}}, kGB);
  EXPECT_EQ(second.index, first.index);
  EXPECT_NE(second.generation, first.generation);
  EXPECT_TRUE(s.active(second));
  EXPECT_DEATH(s.rate_bytes_per_s(first), "internal check failed");
}

TEST(UnitLinkSharing, FlowsStartedAtOneInstantAreSolvedOnce) {
  // A collective launching many flows at one time must cost one solve, not one per flow.
  LinkSharing s;
  const LinkId l = s.add_link(1 * kGB, SharingPolicy::shared);
  std::vector<FlowId> flows;
  for (int i = 0; i < 100; ++i)
    flows.push_back(s.start_flow(0, std::vector<LinkUse>{{l, 1}}, kGB));
  EXPECT_EQ(s.solves(), 0u);
  expect_near_rel(s.rate_bytes_per_s(flows[17]), kGB / 100);
  s.next_completion_s();
  EXPECT_EQ(s.solves(), 1u);
}

TEST(UnitLinkSharing, UnrelatedFlowEndingLeavesOtherFinishTimesUntouched) {
  // f on link A, g on link B: g finishing changes nothing for f, whose finish time stays bit-exact.
  LinkSharing s;
  const LinkId a = s.add_link(3 * kGB, SharingPolicy::shared);
  const LinkId b = s.add_link(3 * kGB, SharingPolicy::shared);
  const FlowId f = s.start_flow(0, std::vector<LinkUse>{{a, 1}}, 10 * kGB);
  s.start_flow(0, std::vector<LinkUse>{{b, 1}}, kGB);
  const double before = s.next_completion_s();
  s.finish_due(before);
  const double f_finish = s.next_completion_s();
  EXPECT_EQ(f_finish, 10.0 / 3);
  EXPECT_TRUE(s.active(f));
}

TEST(UnitLinkSharing, ResetInstanceRerunsExactlyLikeANewOne) {
  // Two scenarios on one instance with a reset between them must give the finish times that two
  // new instances give (same slots, same arithmetic), and old ids must be inactive.
  const auto scenario = [](LinkSharing& s, double scale) {
    const LinkId a{0};
    const LinkId b{1};
    s.start_flow(0, std::vector<LinkUse>{{a, 1}}, 3 * scale * kGB);
    s.start_flow(0.1, std::vector<LinkUse>{{a, 1}, {b, 2}}, scale * kGB);
    s.start_flow(0.2, std::vector<LinkUse>{{b, 1}}, 2 * scale * kGB, 0.5 * kGB);
    std::vector<double> times;
    for (const auto& [id, t] : run_to_completion(s))
      times.push_back(t);
    return times;
  };
  const auto fresh = [] {
    LinkSharing s;
    s.add_link(4 * kGB, SharingPolicy::shared);
    s.add_link(3 * kGB, SharingPolicy::shared);
    return s;
  };
  LinkSharing reused = fresh();
  LinkSharing first = fresh();
  LinkSharing second = fresh();
  const FlowId old = reused.start_flow(0, std::vector<LinkUse>{{LinkId{0}, 1}}, kGB);
  reused.reset();
  EXPECT_FALSE(reused.active(old));
  EXPECT_EQ(reused.active_flows(), 0u);
  EXPECT_EQ(reused.now_s(), 0);
  EXPECT_EQ(scenario(reused, 1.0), scenario(first, 1.0));
  reused.reset();
  EXPECT_EQ(scenario(reused, 1.7), scenario(second, 1.7));
}

TEST(UnitLinkSharing, GoingBackInTimeIsABug) {
  LinkSharing s;
  s.advance(2.0);
  EXPECT_DEATH(s.advance(1.0), "internal check failed");
}

}  // namespace
}  // namespace ptsim
