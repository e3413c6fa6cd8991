// The search: branch and bound finds what simulating everything finds, its output does not depend
// on the thread count, and pins are honoured.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "hardware_profiles/catalogue.h"
#include "planner/config_space.h"
#include "planner/planner_json.h"
#include "planner/search.h"
#include "sim/workload/pipeline_schedule.h"
#include "tests/planner_search/small_models.h"

namespace ptsim {
namespace {

PlannerInputs small_inputs(int gpus = 16) {
  PlannerInputs in;
  in.model = testing::small_llama();
  in.training.seq_len = 2048;
  in.training.global_batch = 32;
  in.cluster = *load_cluster("dgx-h100");
  in.gpus = gpus;
  return in;
}

// The planner JSON without the fields that legitimately vary between runs.
std::string stable_json(const PlannerInputs& in, const SearchResult& r) {
  Json j = planner_json(in, r);
  j["search"].erase("wall_s");
  j.erase("provenance");
  return j.dump(1);
}

TEST(UnitPlannerSearch, BranchAndBoundFindsTheExhaustiveTopK) {
  // Oracle: simulate every candidate and sort. Bounding may only skip candidates that cannot
  // enter the top k, so the top k (configurations and step times) must be identical.
  const PlannerInputs in = small_inputs();
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  SearchOptions bounded;
  bounded.top_k = 5;
  bounded.threads = 2;
  SearchOptions all = bounded;
  all.exhaustive = true;
  auto a = search(in, *topology, bounded);
  auto b = search(in, *topology, all);
  ASSERT_TRUE(a.ok()) << a.error().one_line();
  ASSERT_TRUE(b.ok()) << b.error().one_line();
  ASSERT_GE(b->ranked.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(config_key(a->ranked[i].config), config_key(b->ranked[i].config)) << i;
    EXPECT_EQ(a->ranked[i].result.step_time_s, b->ranked[i].result.step_time_s) << i;
  }
  // The bound did real work: far fewer simulations than candidates.
  EXPECT_LT(a->stats.simulated * 4, b->stats.simulated);
  EXPECT_EQ(a->stats.simulated + a->stats.probed_out_of_memory + a->stats.bounded_out,
            a->stats.candidates);
  std::printf("bounded: %lld of %lld candidates simulated\n",
              static_cast<long long>(a->stats.simulated),
              static_cast<long long>(a->stats.candidates));
}

TEST(UnitPlannerSearch, OutputIsIdenticalWithOneAndTwoThreads) {
  // Determinism: the set reported as simulated is decided in bound order after the fact, so
  // speculative simulations of the second thread change nothing but provenance and wall time.
  const PlannerInputs in = small_inputs();
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  SearchOptions one;
  one.top_k = 3;
  one.threads = 1;
  SearchOptions two = one;
  two.threads = 2;
  auto a = search(in, *topology, one);
  auto b = search(in, *topology, two);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(stable_json(in, *a), stable_json(in, *b));
  EXPECT_EQ(a->stats.threads, 1);
  EXPECT_EQ(b->stats.threads, 2);
}

TEST(UnitPlannerSearch, PinnedDimensionsAreHeldInEveryCandidate) {
  PlannerInputs in = small_inputs();
  in.pins.tp = 2;
  in.pins.zero = 1;
  in.pins.schedules = {Schedule::one_f_one_b};
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  SearchOptions o;
  o.exhaustive = true;
  o.threads = 2;
  auto r = search(in, *topology, o);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  ASSERT_FALSE(r->ranked.empty());
  for (const auto& c : r->ranked) {
    EXPECT_EQ(c.config.tp, 2);
    EXPECT_EQ(c.config.zero_stage, 1);
    EXPECT_EQ(c.config.schedule, Schedule::one_f_one_b);
    EXPECT_TRUE(c.config.sequence_parallel);  // on with tp > 1 unless pinned off
  }
}

// The keys of every configuration the space enumerates under `pins`.
std::set<std::string> space_keys(const PlannerInputs& in, const SearchPins& pins) {
  std::set<std::string> keys;
  enumerate_configs(in.model, in.training, in.cluster, in.gpus, pins,
                    [&](const ParallelConfig& p) { keys.insert(config_key(p)); });
  return keys;
}

TEST(UnitPlannerSearch, APinnedScheduleSetEnumeratesTheOpenSpaceRestrictedToIt) {
  // Oracle: the open space, filtered to the set's schedules. With one pipeline stage every
  // schedule runs the same, so a set holding 1f1b keeps the open space's single 1f1b there.
  const PlannerInputs in = small_inputs();
  for (const std::vector<Schedule>& set :
       {std::vector<Schedule>{Schedule::one_f_one_b, Schedule::interleaved},
        std::vector<Schedule>{Schedule::one_f_one_b, Schedule::zb_h1},
        std::vector<Schedule>{Schedule::interleaved}}) {
    SearchPins open;
    SearchPins pinned;
    pinned.schedules = set;
    std::set<std::string> expected;
    enumerate_configs(in.model, in.training, in.cluster, in.gpus, open,
                      [&](const ParallelConfig& p) {
                        if (std::find(set.begin(), set.end(), p.schedule) != set.end())
                          expected.insert(config_key(p));
                      });
    const std::set<std::string> got = space_keys(in, pinned);
    std::string name;
    for (Schedule s : set)
      name += std::string(schedule_name(s)) + " ";
    SCOPED_TRACE(name);
    ASSERT_FALSE(expected.empty());
    if (set.size() > 1) {
      EXPECT_EQ(got, expected);
    } else {
      // Interleaved alone also lists its one-stage layouts for the rules to refuse.
      EXPECT_TRUE(std::includes(got.begin(), got.end(), expected.begin(), expected.end()));
      for (const std::string& k : got)
        EXPECT_NE(k.find("interleaved"), std::string::npos) << k;
    }
  }
}

TEST(UnitPlannerSearch, RankingIsFastestFirstWithConfigurationTieBreak) {
  const PlannerInputs in = small_inputs();
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  SearchOptions o;
  o.top_k = 8;
  auto r = search(in, *topology, o);
  ASSERT_TRUE(r.ok());
  for (std::size_t i = 1; i < r->ranked.size(); ++i)
    EXPECT_TRUE(ranks_before(r->ranked[i - 1], r->ranked[i])) << i;
  for (const auto& c : r->ranked) {
    EXPECT_TRUE(c.result.memory.fits);
    EXPECT_LE(c.time_bound_s, c.result.step_time_s);
  }
}

TEST(UnitPlannerSearch, AMemoryProbeSetsAsideOnlyCandidatesThatDoNotFit) {
  // Long sequences and many micro-batches on a GPU of 24 GB: most candidates pass the closed-form
  // memory bound but not the simulated peak. Each one the search set aside by its memory probe (a
  // step cut to the micro-batches that reach its peak) must, simulated whole, peak at the same
  // bytes and not fit; so the ranking is the one simulating every step would give.
  PlannerInputs in = small_inputs(8);
  in.training.seq_len = 8192;
  in.training.global_batch = 256;
  in.cluster.gpu.hbm_capacity_bytes = 12e9;
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  in.pins.zero = 1;  // a smaller space; memory still varies with tp, pp, cp, micro-batch, recompute
  SearchOptions all;
  all.exhaustive = true;
  auto r = search(in, *topology, all);
  ASSERT_TRUE(r.ok()) << r.error().one_line();
  ASSERT_FALSE(r->ranked.empty());
  ASSERT_GE(r->probed_out_of_memory.size(), 10u);
  EXPECT_EQ(r->stats.probed_out_of_memory,
            static_cast<std::int64_t>(r->probed_out_of_memory.size()));
  EXPECT_EQ(r->stats.simulated + r->stats.probed_out_of_memory + r->stats.bounded_out,
            r->stats.candidates);
  for (const SimulatedCandidate& c : r->probed_out_of_memory) {
    const Evaluation whole = evaluate(in.model, in.training, c.config, in.cluster, *topology,
                                      in.gpus, EvaluationOptions{GraphMode::reduced, false, false});
    ASSERT_TRUE(whole.verdict.ok);
    EXPECT_FALSE(whole.result->memory.fits) << config_key(c.config);
    EXPECT_DOUBLE_EQ(whole.result->memory.peak_bytes, c.result.memory.peak_bytes)
        << config_key(c.config);
  }
  // Every simulated candidate over capacity would have been probed out if its probe were shorter
  // than its step: none is left that a probe covers.
  for (const SimulatedCandidate& c : r->out_of_memory) {
    const int m = in.training.global_batch / (c.config.micro_batch * c.config.dp);
    EXPECT_EQ(peak_memory_micro_batches(c.config.schedule, c.config.pp, c.config.vpp, m), m)
        << config_key(c.config);
  }
}

TEST(UnitPlannerSearch, ImpossiblePinsAreAnInputErrorNamingTheRule) {
  PlannerInputs in = small_inputs();
  in.pins.tp = 16;  // 16 query heads, but 4 key/value heads
  auto topology = Topology::build(in.cluster, in.gpus);
  ASSERT_TRUE(topology.ok());
  auto r = search(in, *topology, SearchOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("tp 16 does not divide 4 key/value heads"), std::string::npos)
      << r.error().one_line();
}

}  // namespace
}  // namespace ptsim
