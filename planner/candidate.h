// Candidates: configurations that pass check_config's rules and the memory lower bound, with the
// bounds the search orders them by. Building the list is the first half of the search
// (search.h); it counts what it prunes, per rule.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "planner/bounds.h"
#include "planner/config_space.h"

namespace ptsim {

struct Candidate {
  ParallelConfig config;
  // Quick memory bound at first (one micro-batch in flight); the full one (the schedule's
  // in-flight micro-batches) is computed when the search reaches the candidate.
  double memory_bound_bytes = 0;
  double quick_bound_s = 0;  // busiest stream; the full bound is computed lazily
};

struct CandidateList {
  std::vector<Candidate> candidates;
  std::int64_t considered = 0;
  std::vector<std::pair<std::string, std::int64_t>> pruned;  // every rule, then memory_bound
  // Why the rule that pruned the most configurations pruned its first one (for "nothing can run").
  std::string main_rule_failure;
  // The configurations pruned by the memory bound with the smallest bounds (for "nothing fits").
  std::vector<Candidate> smallest_over_memory;
};

// Keeps the few configurations over memory with the smallest bounds, in (bound, configuration)
// order.
void keep_smallest_over_memory(std::vector<Candidate>& kept, const Candidate& c);

// Rules, then the quick memory bound (a configuration over the GPU's capacity by it is pruned),
// then the quick time bound of each survivor.
CandidateList list_candidates(const ModelSpec& model, const TrainingConfig& training,
                              const ClusterProfile& cluster, int gpus, const SearchPins& pins,
                              PlannerBounds& bounds);

inline constexpr const char* kMemoryBoundRule = "memory_bound";
inline constexpr const char* kRankOrderRule = "rank_order";

}  // namespace ptsim
