#include "planner/planner_json.h"

#include "planner/result_json.h"

namespace ptsim {

namespace {

Json candidate_json(const PlannerInputs& in, const SimulatedCandidate& c, Json rank) {
  const ConfigDescription desc{in.model, in.training, c.config, in.cluster, in.gpus};
  Json j = step_result_json(c.result, desc);
  j["rank"] = std::move(rank);
  j["bounds"] = {{"step_time_s", c.time_bound_s}, {"memory_bytes", c.memory_bound_bytes}};
  return j;
}

}  // namespace

Json planner_json(const PlannerInputs& in, const SearchResult& result) {
  Json candidates = Json::array();
  int rank = 1;
  for (const SimulatedCandidate& c : result.ranked)
    candidates.push_back(candidate_json(in, c, rank++));
  for (const SimulatedCandidate& c : result.out_of_memory)
    candidates.push_back(candidate_json(in, c, nullptr));
  const SearchStats& st = result.stats;
  Json pruned = Json::object();
  for (const auto& [rule, count] : st.pruned)
    pruned[rule] = count;
  Json out = Json::object();
  out["candidates"] = std::move(candidates);
  out["search"] = {{"considered", st.considered},
                   {"pruned", std::move(pruned)},
                   {"candidates", st.candidates},
                   {"simulated", st.simulated},
                   {"bounded_out", st.bounded_out},
                   {"out_of_memory", st.out_of_memory},
                   {"probed_out_of_memory", st.probed_out_of_memory},
                   {"too_large", st.too_large},
                   {"wall_s", st.wall_s}};
  out["provenance"] = {
      {"tool", "planner"}, {"threads", st.threads}, {"speculative_simulations", st.speculative}};
  return out;
}

}  // namespace ptsim
