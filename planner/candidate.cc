#include "planner/candidate.h"

#include <algorithm>
#include <map>

#include "sim/workload/config_rules.h"
#include "sim/workload/rank_layout.h"

namespace ptsim {

namespace {

// How many over-memory configurations to keep for the "nothing fits" answer.
constexpr std::size_t kKeepOverMemory = 16;

}  // namespace

void keep_smallest_over_memory(std::vector<Candidate>& kept, const Candidate& c) {
  auto before = [](const Candidate& a, const Candidate& b) {
    if (a.memory_bound_bytes != b.memory_bound_bytes)
      return a.memory_bound_bytes < b.memory_bound_bytes;
    return config_less(a.config, b.config);
  };
  kept.insert(std::upper_bound(kept.begin(), kept.end(), c, before), c);
  if (kept.size() > kKeepOverMemory) kept.pop_back();
}

CandidateList list_candidates(const ModelSpec& model, const TrainingConfig& training,
                              const ClusterProfile& cluster, int gpus, const SearchPins& pins,
                              PlannerBounds& bounds) {
  CandidateList out;
  std::map<std::string, std::int64_t> pruned;
  std::map<std::string, std::string> first_reason;
  std::map<std::string, bool> order_ok;  // rank-order validity by sizes
  const double capacity = cluster.gpu.hbm_capacity_bytes;
  out.considered =
      enumerate_configs(model, training, cluster, gpus, pins, [&](const ParallelConfig& p) {
        const Verdict v = check_config(model, training, p, gpus);
        if (!v.ok) {
          first_reason.try_emplace(v.rule, v.reason);
          ++pruned[v.rule];
          return;
        }
        if (p.rank_order != kDefaultRankOrder) {
          const std::string key = std::to_string(p.tp) + "," + std::to_string(p.cp) + "," +
                                  std::to_string(p.ep) + "," + std::to_string(p.dp) + "," +
                                  std::to_string(p.pp) + "," + std::to_string(p.etp);
          auto [it, fresh] = order_ok.try_emplace(key, true);
          if (fresh) {
            auto layout = RankLayout::make(p);
            it->second = layout.ok();
            if (!layout.ok()) first_reason.try_emplace(kRankOrderRule, layout.error().one_line());
          }
          if (!it->second) {
            ++pruned[kRankOrderRule];
            return;
          }
        }
        Candidate c;
        c.config = p;
        c.memory_bound_bytes = bounds.quick_memory_bytes(p);
        if (c.memory_bound_bytes > capacity) {
          ++pruned[kMemoryBoundRule];
          keep_smallest_over_memory(out.smallest_over_memory, c);
          return;
        }
        c.quick_bound_s = bounds.quick_time_s(p);
        out.candidates.push_back(std::move(c));
      });
  std::vector<std::string> names = config_rule_names();
  for (const auto& [rule, count] : pruned) {  // a rule the list does not name yet
    if (rule != kRankOrderRule && rule != kMemoryBoundRule &&
        std::find(names.begin(), names.end(), rule) == names.end())
      names.push_back(rule);
  }
  names.push_back(kRankOrderRule);
  names.push_back(kMemoryBoundRule);
  std::int64_t most = 0;
  for (const std::string& rule : names) {
    out.pruned.emplace_back(rule, pruned[rule]);
    if (rule != kMemoryBoundRule && pruned[rule] > most) {
      most = pruned[rule];
      out.main_rule_failure = first_reason[rule];
    }
  }
  return out;
}

}  // namespace ptsim
