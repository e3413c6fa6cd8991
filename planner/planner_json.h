// DESIGN.md's planner JSON: {"candidates": [every simulated configuration, the fitting ones
// fastest first, then those over capacity by peak memory; each a result object as
// result_json.h writes it, plus "rank" (null when it does not fit) and "bounds" (the search's
// optimistic step time and memory lower bound)], "search": {"considered", "pruned": {rule: count},
// "candidates", "simulated", "bounded_out", "out_of_memory", "wall_s"}}. Everything but
// search.wall_s and "provenance" is identical across runs and thread counts.
#pragma once

#include "common/json_reader.h"
#include "planner/search.h"

namespace ptsim {

Json planner_json(const PlannerInputs& in, const SearchResult& result);

}  // namespace ptsim
