// Pipeline schedules checked two ways: structure (every pass exactly once, in a legal order) and
// timing by an independent list scheduler in this file (passes take fixed times, a pass starts when
// its rank is free and its inputs exist), against the published bubble closed forms:
//   GPipe (Huang et al. 2019) and 1F1B (Narayanan et al. 2021 section 2.2.1): the step takes
//     (m + p - 1)(t_f + t_b);
//   interleaved 1F1B (section 2.2.2): m (t_f + t_b) + (p - 1)(t_f + t_b) / v.
#include "sim/workload/pipeline_schedule.h"

#include "sim/workload/overlap_pairing.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace ptsim {
namespace {

struct Times {
  double f = 1, b = 2;    // whole backward
  double bi = 1, bw = 1;  // split backward: input and weight parts
};

// Returns the makespan, or -1 on deadlock.
double makespan(const PipelinePlan& plan, int m, Times t) {
  // A pass covers one model stage; with pp * v stages (interleaved) each is 1/v of a rank's layers.
  const double v = static_cast<double>(plan.model_stages) / plan.ranks;
  using Key = std::tuple<int, int, int>;  // (pass kind, position, micro-batch)
  std::map<Key, double> done;
  auto pos_of = [&](int rank, int chunk, int mb) {
    const auto& dir = plan.directions[static_cast<std::size_t>(
        plan.direction_of_micro_batch[static_cast<std::size_t>(mb)])];
    for (std::size_t k = 0; k < dir.size(); ++k) {
      if (dir[k].rank == rank && dir[k].chunk == chunk) return static_cast<int>(k);
    }
    return -1;
  };
  std::vector<std::size_t> next(plan.work.size(), 0);
  std::vector<double> free_at(plan.work.size(), 0.0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t r = 0; r < plan.work.size(); ++r) {
      while (next[r] < plan.work[r].size()) {
        // A pass marked overlap_with_next runs as one unit with the next: both inputs first.
        const std::size_t count = plan.work[r][next[r]].overlap_with_next ? 2 : 1;
        double ready = free_at[r];
        double dur = 0;
        bool ok = true;
        std::vector<std::pair<Key, double>> finished;
        for (std::size_t j = 0; j < count && ok; ++j) {
          const auto& w = plan.work[r][next[r] + j];
          const int k = pos_of(static_cast<int>(r), w.chunk, w.micro_batch);
          const int last =
              static_cast<int>(
                  plan
                      .directions[static_cast<std::size_t>(
                          plan.direction_of_micro_batch[static_cast<std::size_t>(w.micro_batch)])]
                      .size()) -
              1;
          auto need = [&](int kind, int pos) {
            auto it = done.find({kind, pos, w.micro_batch});
            if (it == done.end()) {
              ok = false;
            } else {
              ready = std::max(ready, it->second);
            }
          };
          double d = 0;
          switch (w.pass) {
            case Pass::forward:
              if (k > 0) need(0, k - 1);
              d = t.f / v;
              break;
            case Pass::backward:
            case Pass::backward_input:
              need(0, k);
              if (k < last) need(1, k + 1);
              d = (w.pass == Pass::backward ? t.b : t.bi) / v;
              break;
            case Pass::backward_weight:
              need(1, k);
              d = t.bw / v;
              break;
          }
          dur += d;
          const int kind = w.pass == Pass::forward ? 0 : (w.pass == Pass::backward_weight ? 2 : 1);
          finished.push_back({Key{kind, k, w.micro_batch}, 0.0});
        }
        if (!ok) break;
        const double end = ready + dur;
        for (auto& f : finished)
          done[f.first] = end;
        free_at[r] = end;
        next[r] += count;
        progress = true;
      }
    }
  }
  for (std::size_t r = 0; r < plan.work.size(); ++r) {
    if (next[r] != plan.work[r].size()) return -1;
  }
  double span = 0;
  for (double f : free_at)
    span = std::max(span, f);
  return span;
}

void expect_every_pass_once(const PipelinePlan& plan, int m) {
  for (std::size_t r = 0; r < plan.work.size(); ++r) {
    std::map<std::tuple<int, int, int>, int> count;
    for (const auto& w : plan.work[r]) {
      const int kind = w.pass == Pass::forward ? 0 : (w.pass == Pass::backward_weight ? 2 : 1);
      ++count[{kind, w.chunk, w.micro_batch}];
      if (w.pass == Pass::backward) ++count[{2, w.chunk, w.micro_batch}];
    }
    // Each chunk of this rank sees each micro-batch of its direction exactly once per pass kind.
    for (int c = 0; c < plan.chunks_per_rank; ++c) {
      for (int mb = 0; mb < m; ++mb) {
        const int dir = plan.direction_of_micro_batch[static_cast<std::size_t>(mb)];
        bool holds = false;
        for (const auto& pos : plan.directions[static_cast<std::size_t>(dir)]) {
          holds = holds || (pos.rank == static_cast<int>(r) && pos.chunk == c);
        }
        const int expected = holds ? 1 : 0;
        for (int kind = 0; kind < 3; ++kind) {
          EXPECT_EQ((count[{kind, c, mb}]), expected)
              << "rank " << r << " chunk " << c << " mb " << mb;
        }
      }
    }
  }
}

TEST(UnitPipelineSchedule, GpipeAndOneFOneBTakeMPlusPMinusOneSlots) {
  for (Schedule s : {Schedule::gpipe, Schedule::one_f_one_b}) {
    for (int p : {1, 2, 4, 8}) {
      for (int m : {1, 3, 8, 16}) {
        const auto plan = make_pipeline_plan(s, p, 1, m);
        expect_every_pass_once(plan, m);
        EXPECT_DOUBLE_EQ(makespan(plan, m, Times{}), (m + p - 1) * 3.0) << "p=" << p << " m=" << m;
      }
    }
  }
}

TEST(UnitPipelineSchedule, OneFOneBKeepsAtMostPMinusRankMicroBatchesInFlight) {
  const int p = 8, m = 32;
  const auto plan = make_pipeline_plan(Schedule::one_f_one_b, p, 1, m);
  for (int r = 0; r < p; ++r) {
    int in_flight = 0, peak = 0;
    for (const auto& w : plan.work[static_cast<std::size_t>(r)]) {
      in_flight += w.pass == Pass::forward ? 1 : -1;
      peak = std::max(peak, in_flight);
    }
    EXPECT_EQ(peak, p - r);
  }
}

TEST(UnitPipelineSchedule, InterleavedBubbleShrinksByV) {
  for (int p : {2, 4, 8}) {
    for (int v : {2, 3, 4}) {
      for (int m : {p, 2 * p, 4 * p}) {
        const auto plan = make_pipeline_plan(Schedule::interleaved, p, v, m);
        expect_every_pass_once(plan, m);
        const double expected = m * 3.0 + (p - 1) * 3.0 / v;
        EXPECT_NEAR(makespan(plan, m, Times{}), expected, 1e-9)
            << "p=" << p << " v=" << v << " m=" << m;
      }
    }
  }
}

// Korthikanti et al. 2022 section 4.2.3: interleaving makes the first stage hold
// (1 + (p-1)/(p v)) times the activations of plain 1F1B; in chunk-passes that is (v+1)p - 1.
TEST(UnitPipelineSchedule, InterleavedFirstStageHoldsTheExtraChunks) {
  const int p = 4, v = 3, m = 16;
  const auto plan = make_pipeline_plan(Schedule::interleaved, p, v, m);
  int in_flight = 0, peak = 0;
  for (const auto& w : plan.work[0]) {
    in_flight += w.pass == Pass::forward ? 1 : -1;
    peak = std::max(peak, in_flight);
  }
  EXPECT_EQ(peak, (v + 1) * p - 1);
  EXPECT_DOUBLE_EQ(peak / static_cast<double>(v * p), 1.0 + (p - 1.0) / (p * v));
}

// ZB-H1 (Qi et al. 2024) splits backward into B and W and defers W into the cool-down bubble: with
// t_f = t_b = t_w the bubble falls from 1F1B's (p-1)(t_f + t_b + t_w) to (p-1)(t_f + t_b - t_w).
TEST(UnitPipelineSchedule, ZeroBubbleH1CutsTheBubbleToOneThird) {
  for (int p : {2, 4, 8}) {
    for (int m : {p, 2 * p, 3 * p}) {
      const auto plan = make_pipeline_plan(Schedule::zb_h1, p, 1, m);
      expect_every_pass_once(plan, m);
      const Times t{1, 2, 1, 1};
      const double span = makespan(plan, m, t);
      const double onefoneb = (m + p - 1) * 3.0;
      EXPECT_LT(span, onefoneb) << "p=" << p << " m=" << m;
      EXPECT_NEAR(span, m * 3.0 + (p - 1) * 1.0, 1e-9) << "p=" << p << " m=" << m;
    }
  }
}

TEST(UnitPipelineSchedule, DualPipeRunsEveryPassOfBothDirectionsWithoutDeadlock) {
  for (int p : {2, 4, 8}) {
    for (int m : {2 * p, 4 * p}) {
      const auto plan = make_pipeline_plan(Schedule::dualpipe, p, 1, m);
      expect_every_pass_once(plan, m);
      const double span = makespan(plan, m, Times{1, 2, 1, 1});
      ASSERT_GT(span, 0) << "deadlock at p=" << p << " m=" << m;
      // Each rank holds two stages of half the micro-batches each: m (t_f + t_b) of work.
      EXPECT_GE(span, m * 3.0);
      EXPECT_LT(span, (m + p - 1) * 3.0) << "p=" << p << " m=" << m;
    }
  }
}

int pairs_on(const PipelinePlan& plan, std::size_t rank) {
  int n = 0;
  for (const auto& w : plan.work[rank])
    n += w.overlap_with_next ? 1 : 0;
  return n;
}

TEST(UnitOverlapPairing, OneFOneBPairsEachSteadyStateBackwardWithTheNextForward) {
  // pp 4, m 8, rank r warming up with w = pp - r - 1 forwards. Pairing forward w + i with
  // backward i would deadlock with the next rank's pair (its backward i waits for the forward this
  // pair has not finished), so each backward i pairs with the forward after it, w + i + 1: rank r
  // runs m - w - 1 pairs; the last rank (w = 0) pairs backward i with forward i + 1: m - 1.
  PipelinePlan plan = make_pipeline_plan(Schedule::one_f_one_b, 4, 1, 8);
  pair_forward_backward_passes(plan);
  EXPECT_EQ(pairs_on(plan, 0), 4);
  EXPECT_EQ(pairs_on(plan, 1), 5);
  EXPECT_EQ(pairs_on(plan, 2), 6);
  EXPECT_EQ(pairs_on(plan, 3), 7);
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t i = 0; i + 1 < plan.work[r].size(); ++i) {
      if (!plan.work[r][i].overlap_with_next) continue;
      EXPECT_NE(plan.work[r][i].pass, Pass::forward) << "rank " << r << " item " << i;
      EXPECT_EQ(plan.work[r][i + 1].micro_batch,
                plan.work[r][i].micro_batch + 4 - static_cast<int>(r))
          << "rank " << r << " item " << i;
    }
  }
  EXPECT_GT(makespan(plan, 8, {}), 0);
}

TEST(UnitOverlapPairing, NeverPairsAPassWithOneItDependsOn) {
  // GPipe's turn-around (forward and backward of micro-batch m-1) and warm-ups clipped by m < pp
  // would deadlock if paired; every schedule stays deadlock-free in the paired list scheduler.
  PipelinePlan gpipe = make_pipeline_plan(Schedule::gpipe, 4, 1, 8);
  pair_forward_backward_passes(gpipe);
  for (std::size_t r = 0; r + 1 < 4; ++r)
    EXPECT_EQ(pairs_on(gpipe, r), 0) << "rank " << r;
  EXPECT_GT(makespan(gpipe, 8, {}), 0);
  struct Case {
    Schedule s;
    int pp, vpp, m;
  };
  for (const Case& c : {Case{Schedule::one_f_one_b, 2, 1, 1}, Case{Schedule::one_f_one_b, 4, 1, 3},
                        Case{Schedule::interleaved, 4, 2, 4}, Case{Schedule::interleaved, 4, 3, 8},
                        Case{Schedule::zb_h1, 4, 1, 8}, Case{Schedule::dualpipe, 4, 1, 8}}) {
    PipelinePlan plan = make_pipeline_plan(c.s, c.pp, c.vpp, c.m);
    pair_forward_backward_passes(plan);
    EXPECT_GT(makespan(plan, c.m, {}), 0)
        << schedule_name(c.s) << " pp " << c.pp << " vpp " << c.vpp << " m " << c.m;
  }
}

}  // namespace
}  // namespace ptsim
