// The planner's search: every configuration of the space (config_space.h) is checked against the
// rules (check_config, counted per rule) and the memory lower bound; the survivors (Candidates)
// are simulated with evaluate() on a thread pool in increasing order of their optimistic step
// time (bounds.h), and the search stops once that bound exceeds the k-th best simulated step time
// (branch and bound: no candidate left out could have entered the top k). Nothing is sampled and
// no heuristic cut is made.
//
// Determinism: candidates are ordered by (bound, configuration) and the set reported as simulated
// is decided afterwards in that order, as a one-thread run would decide it; simulations that other
// threads ran speculatively past that point are dropped. So the output is identical for any thread
// count (tests/planner_search/search_test.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "planner/config_space.h"
#include "planner/evaluate.h"
#include "sim/network/topology.h"

namespace ptsim {

struct PlannerInputs {
  ModelSpec model;
  TrainingConfig training;
  ClusterProfile cluster;
  int gpus = 0;
  SearchPins pins;
};

struct SearchProgress {
  std::int64_t candidates = 0;  // passed the rules and the memory bound
  std::int64_t finished = 0;    // simulations done (speculative ones included)
  double best_s = 0;            // best step time so far (0: none yet)
  double next_bound_s = 0;      // bound of the next candidate in line
  double cutoff_s = 0;          // the k-th best step time so far (0: fewer than k)
};

struct SearchOptions {
  int top_k = 10;           // the ranking the search guarantees (bounding keeps the top k exact)
  int threads = 0;          // simulation threads; 0 = one per hardware thread
  bool exhaustive = false;  // simulate every candidate, no bounding
  std::function<void(const SearchProgress&)> progress;  // called from the searching thread
};

struct SimulatedCandidate {
  ParallelConfig config;
  StepResult result;
  double time_bound_s = 0;
  double memory_bound_bytes = 0;
};

struct SearchStats {
  std::int64_t considered = 0;
  // Pruned configurations per rule: every check_config rule in checking order, then "rank_order"
  // (an unusable --rank-order) and "memory_bound" (cannot fit by the closed-form lower bound).
  std::vector<std::pair<std::string, std::int64_t>> pruned;
  std::int64_t candidates = 0;     // simulated + probed_out_of_memory + too_large + bounded_out
  std::int64_t simulated = 0;      // whole steps
  std::int64_t bounded_out = 0;    // candidates whose bound proves they cannot enter the top k
  std::int64_t out_of_memory = 0;  // simulated, over the GPU's capacity
  // Over capacity by a memory probe (the step cut to the micro-batches that reach its peak,
  // sim/workload/pipeline_schedule.h), so not simulated in full and not listed as candidates.
  std::int64_t probed_out_of_memory = 0;
  // Not simulated: the step graph would exceed kMaxStepGraphOps (graph_builder.h). Not ranked,
  // so the ranking holds among the others only; reported whenever it is not zero.
  std::int64_t too_large = 0;
  std::int64_t speculative = 0;  // simulated by a thread beyond the decided point, dropped
  int threads = 1;
  double wall_s = 0;
  // Where the wall time went: enumerating, checking and bounding every configuration; computing
  // full bounds while ordering; and the summed simulation time of all threads.
  double listing_wall_s = 0;
  double ordering_wall_s = 0;
  double simulation_s = 0;
};

struct SearchResult {
  std::vector<SimulatedCandidate> ranked;         // fitting, fastest first
  std::vector<SimulatedCandidate> out_of_memory;  // simulated but over capacity, smallest first
  // Over capacity by their memory probes, in bound order: `result.memory` is the whole step's,
  // the times are those of the shortened step.
  std::vector<SimulatedCandidate> probed_out_of_memory;
  SearchStats stats;
};

// Errors (one line): no configuration passes the rules (the first broken rule's reason), nothing
// fits in memory (with the smallest simulated peak), a precision the GPU cannot run.
Result<SearchResult> search(const PlannerInputs& in, const Topology& topology,
                            const SearchOptions& options);

// The ranking order: step time, then the configuration (a total order).
bool ranks_before(const SimulatedCandidate& a, const SimulatedCandidate& b);

}  // namespace ptsim
