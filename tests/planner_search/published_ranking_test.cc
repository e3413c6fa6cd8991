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

#include "common/json_reader.h"
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
    if (run.id.rfind(prefix, 0) != 0) continue;
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
