#include "planner/published_ranking.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "planner/bounds.h"
#include "planner/candidate.h"
#include "planner/thread_pool.h"

namespace ptsim {

namespace {

// Below this many possibly faster candidates the rank is made exact by simulating them all; above
// it they are simulated only when the bounds alone cannot place the rank inside the fraction.
constexpr std::size_t kExactUpTo = 256;
// Simulations handed to the pool at a time while counting (the count stops between batches).
constexpr std::size_t kBatch = 64;

bool same_config(const ParallelConfig& a, const ParallelConfig& b) {
  return !config_less(a, b) && !config_less(b, a);
}

// The fastest layout that agrees with everything the record states, searching the fields it
// leaves to convention (PublishedRun::ranking_searches) with the run's software pins of `in`;
// nothing when no agreeing layout passes the rules and fits.
std::optional<SimulatedCandidate> fastest_agreeing(const PublishedRun& run, const PlannerInputs& in,
                                                   const Topology& topology,
                                                   const SearchOptions& options) {
  const ParallelConfig& p = run.parallel;
  const PublishedRun::ConventionalLayout& free = run.ranking_searches;
  PlannerInputs agree = in;
  agree.pins.dp = p.dp;
  agree.pins.cp = p.cp;
  agree.pins.ep = p.ep;
  agree.pins.etp = p.etp;
  if (!free.micro_batch) agree.pins.micro_batch = p.micro_batch;
  // A record that interleaves without giving the chunk count keeps interleaving; one that states
  // no schedule at all (conventional vpp 1) may take any schedule its framework had.
  if (!free.vpp) agree.pins.vpp = p.vpp;
  if (!free.vpp || p.vpp > 1) agree.pins.schedules = {p.schedule};
  // The GPU count and the pinned dp and cp hold tp x pp, so with only the model-parallel size
  // stated, leaving tp and pp free searches exactly its splits (one branch-and-bound over all).
  agree.pins.sequence_parallel = p.sequence_parallel;
  if (!free.tp_pp_split) {
    agree.pins.tp = p.tp;
    agree.pins.pp = p.pp;
  }
  auto variants = search(agree, topology, options);
  if (!variants) return std::nullopt;  // nothing agreeing passes the rules and fits
  return variants->ranked.front();
}

// The run's job and software with the layout searched. The run's software is what its framework
// offered and the authors turned on: the framework's behaviours, the rank order, the
// context-parallel algorithm, the ZeRO stage, the recomputation mode, the pipeline schedules it had
// (and no pipeline at all where it could not pipeline that ZeRO stage) and, when off, sequence
// parallelism (2021 Megatron-LM had neither selective recomputation nor a distributed optimizer,
// no Megatron-LM has ZB-H1 or DualPipe; ranking its layouts against features it lacked would test
// the software's progress, not the planner).
PlannerInputs software_inputs(const PublishedRun& run, const ClusterProfile& cluster) {
  PlannerInputs in{run.model, run.training, cluster, run.gpus, {}};
  in.pins.framework = run.parallel;
  in.pins.rank_order = run.parallel.rank_order;
  in.pins.cp_algorithm = run.parallel.cp_algorithm;
  in.pins.zero = run.parallel.zero_stage;
  in.pins.recompute = run.parallel.recompute;
  if (!run.parallel.sequence_parallel) in.pins.sequence_parallel = false;
  in.pins.schedules = run.framework_schedules;
  if (run.framework_pipeline_zero_max >= 0 &&
      run.parallel.zero_stage > run.framework_pipeline_zero_max) {
    in.pins.pp = 1;
  }
  return in;
}

}  // namespace

Result<SimulatedCandidate> plan_published_layout(const PublishedRun& run,
                                                 const ClusterProfile& cluster,
                                                 const Topology& topology, int threads) {
  if (!run.ranking_searches.layout) {
    return InputError{"", run.id, "states its layout; simulate that instead of planning one"};
  }
  PlannerInputs in = software_inputs(run, cluster);
  const ParallelConfig& p = run.parallel;
  // What the record states of the layout holds; tp, pp and dp where stated (0: unstated).
  if (p.tp > 0) in.pins.tp = p.tp;
  if (p.pp > 0) in.pins.pp = p.pp;
  if (p.dp > 0) in.pins.dp = p.dp;
  in.pins.cp = p.cp;
  in.pins.ep = p.ep;
  in.pins.etp = p.etp;
  SearchOptions options;
  options.top_k = 1;
  options.threads = threads;
  auto searched = search(in, topology, options);
  if (!searched) return searched.error();
  return std::move(searched->ranked.front());
}

Result<PublishedRanking> rank_published(const PublishedRun& run, const ClusterProfile& cluster,
                                        const Topology& topology, const RankingOptions& options) {
  if (run.ranking_searches.layout) {
    return InputError{"", run.id, "states no layout to rank (its layout is planned)"};
  }
  PublishedRanking out;
  out.id = run.id;
  const Evaluation published =
      evaluate(run.model, run.training, run.parallel, cluster, topology, run.gpus);
  if (!published.verdict.ok) {
    return InputError{"", run.id,
                      "the published layout breaks rule " + published.verdict.rule + ": " +
                          published.verdict.reason};
  }
  out.published = *published.result;
  const double published_s = out.published.step_time_s;

  // Same job and software, the layout searched (software_inputs).
  PlannerInputs in = software_inputs(run, cluster);
  SearchOptions search_options;
  search_options.top_k = 1;
  search_options.threads = options.threads;
  auto searched = search(in, topology, search_options);
  if (!searched) return searched.error();
  out.best = searched->ranked.front();

  if (run.ranking_searches.any()) {
    auto agreeing = fastest_agreeing(run, in, topology, search_options);
    if (agreeing && agreeing->result.step_time_s < published_s) out.agreeing = std::move(agreeing);
  }
  if (!options.count_rank) return out;
  const double ranked_s = out.ranked_step_s();
  const ParallelConfig& ranked_config = out.agreeing ? out.agreeing->config : run.parallel;

  // Every candidate, and those whose bound leaves room to be faster than the published layout.
  PlannerBounds bounds(in.model, in.training, in.cluster, topology, in.gpus);
  CandidateList list = list_candidates(in.model, in.training, in.cluster, in.gpus, in.pins, bounds);
  struct Maybe {
    double bound_s;
    std::size_t index;
  };
  std::vector<Maybe> maybe;
  const double capacity = in.cluster.gpu.hbm_capacity_bytes;
  for (std::size_t i = 0; i < list.candidates.size(); ++i) {
    const Candidate& c = list.candidates[i];
    if (bounds.memory_bytes(c.config) > capacity) continue;
    ++out.candidates;
    if (same_config(c.config, ranked_config)) out.published_is_candidate = true;
    if (c.quick_bound_s >= ranked_s) continue;
    const double bound = bounds.time_s(c.config);
    if (bound < ranked_s) maybe.push_back({bound, i});
  }
  out.maybe_faster = static_cast<std::int64_t>(maybe.size());
  std::sort(maybe.begin(), maybe.end(), [&](const Maybe& a, const Maybe& b) {
    if (a.bound_s != b.bound_s) return a.bound_s < b.bound_s;
    return config_less(list.candidates[a.index].config, list.candidates[b.index].config);
  });

  const std::int64_t limit = out.top_places(options.top_fraction);
  if (maybe.size() > kExactUpTo && out.maybe_faster + 1 <= limit) {
    // The bounds alone place the rank inside the fraction.
    out.faster = out.maybe_faster;
    return out;
  }
  ThreadPool pool(options.threads);
  for (std::size_t start = 0; start < maybe.size(); start += kBatch) {
    const std::size_t end = std::min(maybe.size(), start + kBatch);
    std::vector<std::optional<StepResult>> results(end - start);
    for (std::size_t k = start; k < end; ++k) {
      pool.submit([&, k] {
        const ParallelConfig& p = list.candidates[maybe[k].index].config;
        Evaluation e = evaluate(in.model, in.training, p, in.cluster, topology, in.gpus);
        results[k - start] = std::move(e.result);
      });
    }
    pool.wait_idle();
    for (const auto& r : results) {
      ++out.simulated;
      if (r && r->memory.fits && r->step_time_s < ranked_s) ++out.faster;
    }
    if (maybe.size() > kExactUpTo && out.faster >= limit) return out;  // outside the fraction
  }
  out.rank_exact = true;
  return out;
}

}  // namespace ptsim
