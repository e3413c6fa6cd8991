// The planner against layouts that experts chose and measured: for every run of the published
// measured-runs file (tests/data/validation/published_runs.json) that states its layout, the
// planner searches the same job (model, GPU count, global batch and sequence pinned, the run's
// hardware and framework behaviours) and
//   * its best configuration simulates at least as fast as the published layout, and
//   * the published layout, simulated, ranks within the fastest 10 % of the planner's candidates
//     (Extensive*: not met today, see the test).
// The oracle is the published choice itself: a planner whose search or bounds lost good
// configurations, or whose cost model made reasonable layouts look bad, fails here.
//
// The first test runs one search per run, minutes on two cores in Release; registered as its own
// CTest entry outside sanitizer builds (tests/planner_search/CMakeLists.txt). The second counts
// ranks (many more simulations) and is run by hand.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "common/json_reader.h"
#include "planner/evaluate.h"
#include "planner/published_ranking.h"
#include "planner/published_runs.h"

namespace ptsim {
namespace {

Result<PublishedRuns> load_runs() {
  const std::string dir = std::string(PTSIM_SOURCE_DIR) + "/tests/data/validation/";
  auto runs = read_json_file(dir + "published_runs.json");
  if (!runs) return runs.error();
  auto completions = read_json_file(dir + "run_completions.json");
  if (!completions) return completions.error();
  return load_published_runs(*runs, "published_runs.json", *completions, "run_completions.json");
}

// One row per run: the published layout's and the planner's best step times, and with
// `count_rank` the published layout's place among the candidates. Where the record leaves layout
// fields to convention, "ranked" is the fastest layout agreeing with what it states (named last).
void print_row(const PublishedRun& run, const PublishedRanking& r, bool counted) {
  char rank[48] = "-";
  if (counted) {
    std::snprintf(rank, sizeof rank, "%s%lld of %lld (%.1f %%)",
                  r.rank_exact ? "" : "<=", static_cast<long long>(r.rank()),
                  static_cast<long long>(r.candidates), 100.0 * r.rank_fraction());
  }
  const bool moe = run.model.is_moe();
  std::printf("%-50s %5d %10.3f %4s %10.3f %10.3f  %-24s %s%s%s\n", run.id.c_str(), run.gpus,
              r.published.step_time_s, r.published.memory.fits ? "" : "OOM", r.ranked_step_s(),
              r.best.result.step_time_s, rank, layout_label(r.best.config, moe).c_str(),
              r.agreeing ? "  | ranked as " : "",
              r.agreeing ? layout_label(r.agreeing->config, moe).c_str() : "");
  std::fflush(stdout);
}

void print_header() {
  std::printf("%-50s %5s %10s %4s %10s %10s  %-24s %s\n", "run", "gpus", "published", "", "ranked",
              "best", "published rank", "best layout");
}

// One run's ranking on its own hardware; fails the test (and returns nothing) on any error.
std::optional<PublishedRanking> rank_run(const PublishedRun& run, const RankingOptions& options) {
  auto cluster = published_run_cluster(run);
  EXPECT_TRUE(cluster.ok()) << cluster.error().one_line();
  if (!cluster.ok()) return std::nullopt;
  auto topology = Topology::build(*cluster, run.gpus);
  EXPECT_TRUE(topology.ok()) << topology.error().one_line();
  if (!topology.ok()) return std::nullopt;
  auto r = rank_published(run, *cluster, *topology, options);
  EXPECT_TRUE(r.ok()) << r.error().one_line();
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

// The fastest 10 % of a list of candidates holds floor(N / 10) places, and at least one: a
// published layout that is the planner's best is within it even when only 6 candidates exist.
TEST(UnitPublishedRankingPlaces, TheTopFractionHoldsFloorOfItsShareAndAtLeastTheBest) {
  PublishedRanking r;
  r.candidates = 6;
  r.faster = 0;
  EXPECT_EQ(r.top_places(0.1), 1);
  EXPECT_TRUE(r.ranks_within(0.1));
  r.faster = 1;
  EXPECT_FALSE(r.ranks_within(0.1));
  r.candidates = 414;
  EXPECT_EQ(r.top_places(0.1), 41);
  r.faster = 40;  // rank 41
  EXPECT_TRUE(r.ranks_within(0.1));
  r.faster = 41;  // rank 42
  EXPECT_FALSE(r.ranks_within(0.1));
}

// The search is exact (bounds never above the simulation, nothing sampled), so whenever the
// published layout fits, the planner's best simulates at least as fast; a published layout that
// the space lacks or the bounds lose fails here.
TEST(PublishedRanking, PlannersBestIsAtLeastAsFastAsEveryPublishedLayoutThatFits) {
  auto runs = load_runs();
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  RankingOptions options;
  options.count_rank = false;
  print_header();
  int checked = 0, fits = 0, agreeing = 0;
  for (const PublishedRun& run : runs->runs) {
    if (run.ranking_searches.layout) continue;  // no published layout to rank
    SCOPED_TRACE(run.id);
    const auto r = rank_run(run, options);
    ASSERT_TRUE(r.has_value());
    print_row(run, *r, false);
    ++checked;
    if (!r->published.memory.fits) continue;
    ++fits;
    EXPECT_LE(r->best.result.step_time_s, r->published.step_time_s);
    // The layouts agreeing with the record are a corner of the planner's space.
    EXPECT_LE(r->best.result.step_time_s, r->ranked_step_s());
    if (r->agreeing) {
      const ParallelConfig& a = r->agreeing->config;
      const ParallelConfig& p = run.parallel;
      EXPECT_EQ(std::tuple(a.tp * a.pp, a.dp, a.cp, a.ep, a.etp, a.zero_stage, a.recompute),
                std::tuple(p.tp * p.pp, p.dp, p.cp, p.ep, p.etp, p.zero_stage, p.recompute));
      if (!run.ranking_searches.tp_pp_split) {
        EXPECT_EQ(std::pair(a.tp, a.sequence_parallel), std::pair(p.tp, p.sequence_parallel));
      }
      if (!run.ranking_searches.micro_batch) {
        EXPECT_EQ(a.micro_batch, p.micro_batch);
      }
      if (!run.ranking_searches.vpp) {
        EXPECT_EQ(a.vpp, p.vpp);
      }
      if (p.vpp > 1) {  // a record that interleaves keeps interleaving
        EXPECT_EQ(a.schedule, Schedule::interleaved);
      }
      ++agreeing;
    }
  }
  // Narayanan et al. 2021 and Megatron-Core's table leave micro-batch, chunk count or the tp x pp
  // split unstated, and the convention is not the fastest agreeing layout for most of their rows
  // (19 of the 25 on 2026-12-07).
  std::printf("layouts agreeing with a record faster than its conventions: %d\n", agreeing);
  EXPECT_GE(agreeing, 5);
  EXPECT_GE(checked, 60);
  // Every published layout ran on its GPUs, so the simulated memory must fit each one (64 of 64
  // since 2026-11-25, when selective recomputation of MoE modules came in; 51 before).
  EXPECT_EQ(fits, checked);
}

// Ranks every published layout whose run id starts with `prefix` and expects each within the
// fastest 10 % of the planner's candidates; prints a row per run and the count.
void expect_ranks_in_top_tenth(const std::string& prefix) {
  auto runs = load_runs();
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  RankingOptions options;
  options.top_fraction = 0.1;
  print_header();
  int within = 0, checked = 0;
  for (const PublishedRun& run : runs->runs) {
    // A run whose layout the planner chooses (validate) has no published layout to rank.
    if (run.id.rfind(prefix, 0) != 0 || run.ranking_searches.layout) continue;
    SCOPED_TRACE(run.id);
    const auto r = rank_run(run, options);
    ASSERT_TRUE(r.has_value());
    print_row(run, *r, true);
    ++checked;
    if (r->ranks_within(options.top_fraction)) ++within;
    EXPECT_TRUE(r->ranks_within(options.top_fraction))
        << "published layout ranks " << r->rank() << " of " << r->candidates;
  }
  EXPECT_GT(checked, 0) << "no run starts with '" << prefix << "'";
  std::printf("published layouts in the planner's top 10 %%: %d of %d\n", within, checked);
}

// A run that states its throughput but not its layout: validate compares the measurement with
// the planner's fastest layout for the same job and software, what the record (with its
// completions) states of the layout held. Narayanan et al.'s GPT-3 estimate on 1024 A100s states
// neither split; the completions hold tp 8 and the 2021 software.
TEST(PublishedLayoutPlanning, AnUnstatedLayoutIsThePlannersFastestWithTheRunsSoftware) {
  auto runs = load_runs();
  ASSERT_TRUE(runs.ok()) << runs.error().one_line();
  const PublishedRun* run = nullptr;
  for (const PublishedRun& r : runs->runs) {
    if (r.id == "mlm21_gpt3_175b_1024gpu") run = &r;
  }
  ASSERT_NE(run, nullptr);
  ASSERT_TRUE(run->ranking_searches.layout);
  auto cluster = published_run_cluster(*run);
  ASSERT_TRUE(cluster.ok()) << cluster.error().one_line();
  auto topology = Topology::build(*cluster, run->gpus);
  ASSERT_TRUE(topology.ok()) << topology.error().one_line();
  auto planned = plan_published_layout(*run, *cluster, *topology);
  ASSERT_TRUE(planned.ok()) << planned.error().one_line();
  const ParallelConfig& p = planned->config;
  // The stated part of the layout and the run's software hold.
  EXPECT_EQ(p.tp, 8);
  EXPECT_EQ(p.tp * p.pp * p.dp * p.cp, run->gpus);
  EXPECT_FALSE(p.sequence_parallel);
  EXPECT_EQ(p.recompute, Recompute::full);
  EXPECT_EQ(p.zero_stage, 0);
  EXPECT_FALSE(p.overlap_p2p);
  EXPECT_FALSE(p.overlap_grad_reduce);
  EXPECT_TRUE(p.schedule == Schedule::one_f_one_b || p.schedule == Schedule::interleaved);
  // The planned numbers are the simulator's for that layout.
  const Evaluation again = evaluate(run->model, run->training, p, *cluster, *topology, run->gpus);
  ASSERT_TRUE(again.verdict.ok) << again.verdict.reason;
  EXPECT_DOUBLE_EQ(again.result->step_time_s, planned->result.step_time_s);
  // No layout the paper's software could have run at tp 8 is faster: two by hand.
  for (const auto& [pp, vpp] : {std::pair{16, 1}, std::pair{8, 2}}) {
    ParallelConfig other = p;
    other.pp = pp;
    other.dp = run->gpus / (8 * pp);
    other.vpp = vpp;
    other.micro_batch = 1;
    other.schedule = vpp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
    const Evaluation e = evaluate(run->model, run->training, other, *cluster, *topology, run->gpus);
    ASSERT_TRUE(e.verdict.ok) << e.verdict.reason;
    ASSERT_TRUE(e.result->memory.fits) << "pp " << pp;
    EXPECT_LE(planned->result.step_time_s, e.result->step_time_s) << "pp " << pp;
  }
  // There is nothing to rank it against.
  EXPECT_FALSE(rank_published(*run, *cluster, *topology, RankingOptions{}).ok());
}

// The nine layouts of Megatron-Core's README table (H100) rank within the planner's top
// 10 %: the part of the check below that holds today and takes seconds, so the test command
// keeps it.
TEST(PublishedRanking, MegatronCoreTableLayoutsRankInThePlannersTopTenPercent) {
  expect_ranks_in_top_tenth("mcore08_");
}

// The published layout, simulated, ranks within the fastest 10 % of the planner's candidates.
// Not met today for 20 of the 64 runs, 2021-22 Megatron-LM and DeepSpeed layouts (the simulator
// favours lower tensor and higher pipeline parallelism than their authors chose; README "Planner
// against published layouts"); run by hand: test_planner_search --gtest_filter=Extensive*.
// PTSIM_RANKING_ONLY=prefix ranks only the runs whose id starts with the prefix (one run takes
// seconds to minutes).
TEST(ExtensivePublishedRanking, PublishedLayoutRanksInThePlannersTopTenPercent) {
  const char* only = std::getenv("PTSIM_RANKING_ONLY");
  expect_ranks_in_top_tenth(only != nullptr ? only : "");
}

}  // namespace
}  // namespace ptsim
