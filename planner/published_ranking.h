// Where a published configuration ranks in the planner's search for the same job: the model, GPU
// count, global batch and sequence of a measured run (published_runs.h) pinned with the software
// it ran (framework behaviours, ZeRO stage, recomputation, the schedules its framework offered; see
// rank_published), the layout (tp, pp, dp, cp, ep, etp, vpp, micro-batch, schedule) searched. Used
// to check the planner against layouts that experts chose and measured: the planner's best must
// simulate at least as fast as the published layout, and the published layout must rank among the
// planner's fastest candidates.
//
// What the record leaves unstated is not held against the published layout: where it names
// layout fields whose value is a convention (a micro-batch size, a chunk count or the split of a
// model-parallel size that the paper does not give), the published layout is ranked as the
// fastest layout that agrees with everything else it states.
//
// The rank is exact without simulating every candidate: a candidate whose optimistic step time
// (bounds.h, never above its simulation) is not below the published layout's simulated step time
// cannot be faster, so only the candidates with a smaller bound are simulated, in bound order, and
// only as far as needed to decide whether the rank is within the asked fraction.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "planner/published_runs.h"
#include "planner/search.h"

namespace ptsim {

struct PublishedRanking {
  std::string id;
  StepResult published;     // the published layout (as completed by convention), simulated
  SimulatedCandidate best;  // the planner's best (top 1 of the search)
  // Where the record leaves layout fields to convention (PublishedRun::ranking_searches): the
  // fastest layout that agrees with everything the record states, when it is faster than the
  // conventional completion. The rank is that of this layout.
  std::optional<SimulatedCandidate> agreeing;
  double ranked_step_s() const {
    return agreeing ? agreeing->result.step_time_s : published.step_time_s;
  }
  // The rest is filled when RankingOptions::count_rank.
  bool published_is_candidate = false;  // the planner's space holds it and its bounds keep it
  // Candidates: configurations that pass the rules and the full memory bound.
  std::int64_t candidates = 0;
  // Candidates whose bound is below the published step time (the only ones that may be faster).
  std::int64_t maybe_faster = 0;
  // Simulated and found faster than the published layout (fitting in memory); exact when
  // `rank_exact`, otherwise a count that already exceeds the fraction asked for.
  std::int64_t faster = 0;
  std::int64_t simulated = 0;  // simulations the count took (the search's not included)
  bool rank_exact = false;
  // 1 + faster: the published layout's place among the candidates (ties count in its favour).
  std::int64_t rank() const { return faster + 1; }
  double rank_fraction() const {
    return candidates > 0 ? static_cast<double>(rank()) / static_cast<double>(candidates) : 1.0;
  }
  // Places in the fastest `fraction` of the candidates: floor(fraction x candidates), and at
  // least one (the best is among the fastest 10 % of any list, even of 6).
  std::int64_t top_places(double fraction) const {
    return std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::floor(fraction * static_cast<double>(candidates))));
  }
  bool ranks_within(double fraction) const { return rank() <= top_places(fraction); }
};

struct RankingOptions {
  double top_fraction = 0.1;  // stop counting once the rank is known to be outside it
  bool count_rank = true;     // false: the published layout and the search's best only
  int threads = 0;            // 0 = one per hardware thread
};

// For a run that gives a measured throughput but not the layout that reached it
// (PublishedRun::ConventionalLayout::layout): the planner's fastest layout for the same job with
// the run's software (the pins rank_published holds), what the record states of the layout
// pinned (tp, pp or dp where given; cp, ep, etp). `validate` compares the measurement with it: a
// claim that the authors' tuned layout performs as the planner's best does, which holds where
// both the simulator and the authors' tuning are right. Errors: the run states its layout, or
// the search's (nothing fits, nothing passes the rules). threads: 0 = one per hardware thread.
Result<SimulatedCandidate> plan_published_layout(const PublishedRun& run,
                                                 const ClusterProfile& cluster,
                                                 const Topology& topology, int threads = 0);

// The run's cluster (with its GPU and network overrides) must be `cluster`, `topology` built for
// it and run.gpus. Errors: the search's (nothing fits, nothing passes the rules), the published
// layout not runnable (a rule it breaks), or no published layout (ConventionalLayout::layout).
Result<PublishedRanking> rank_published(const PublishedRun& run, const ClusterProfile& cluster,
                                        const Topology& topology, const RankingOptions& options);

}  // namespace ptsim
