#include "planner/launch_flags_plan.h"

#include <fmt/format.h>
#include <array>

#include "common/check.h"
#include "sim/workload/config_rules.h"
#include "sim/workload/layer_split.h"
#include "sim/workload/rank_layout.h"

namespace ptsim::launch {

int model_stage_count(const ParallelConfig& p) {
  return p.schedule == Schedule::interleaved ? p.pp * p.vpp : p.pp;
}

std::vector<int> layers_per_model_stage(const ModelSpec& m, const ParallelConfig& p) {
  return split_layers_over_stages(m.layers, model_stage_count(p));
}

NodeLayout node_layout(int gpus, int gpus_per_node) {
  PTSIM_CHECK(gpus >= 1 && gpus_per_node >= 1, "node layout needs positive GPU counts");
  NodeLayout n;
  if (gpus <= gpus_per_node) {
    n.procs_per_node = gpus;
    return n;
  }
  // Launchers start the same number of processes on every node: the most per node that divides
  // the GPU count, so that nodes x processes is exactly the plan's world.
  n.procs_per_node = gpus_per_node;
  while (gpus % n.procs_per_node != 0)
    --n.procs_per_node;
  n.nodes = gpus / n.procs_per_node;
  n.exact = n.procs_per_node == gpus_per_node;
  return n;
}

namespace {

// The dimensions larger than 1, innermost first, of `order` for one layout's sizes.
std::optional<std::vector<Dim>> active_order(std::string_view order,
                                             const std::array<int, kDimCount>& sizes) {
  auto parsed = parse_rank_order(order, "rank_order", sizes);
  if (!parsed) return std::nullopt;
  std::vector<Dim> out;
  for (Dim d : *parsed) {
    if (sizes[static_cast<std::size_t>(d)] > 1) out.push_back(d);
  }
  return out;
}

}  // namespace

bool same_rank_order(const ParallelConfig& p, std::string_view framework_order) {
  // Sizes indexed by Dim (tp, cp, ep, dp, pp), as RankLayout::make builds its two layouts.
  const int dense_ranks = p.tp * p.cp * p.dp;
  const int expert_dp = p.etp * p.ep > 0 ? dense_ranks / (p.etp * p.ep) : 0;
  const std::array<std::array<int, kDimCount>, 2> layouts = {
      std::array<int, kDimCount>{p.tp, p.cp, 1, p.dp, p.pp},
      std::array<int, kDimCount>{p.etp, 1, p.ep, expert_dp, p.pp}};
  for (const auto& sizes : layouts) {
    const auto plan = active_order(p.rank_order, sizes);
    const auto framework = active_order(framework_order, sizes);
    if (!plan || !framework || *plan != *framework) return false;
  }
  return true;
}

std::optional<LaunchFlags> invalid_plan(const char* framework, const ModelSpec& m,
                                        const TrainingConfig& t, const ParallelConfig& p,
                                        int gpus) {
  const Verdict v = check_config(m, t, p, gpus);
  if (v.ok) return std::nullopt;
  LaunchFlags out;
  out.framework = framework;
  out.expressible = false;
  out.notes.push_back("the plan breaks rule " + v.rule + ": " + v.reason);
  return out;
}

std::string decimal(double v) {
  return fmt::format("{}", v);
}

std::string model_label(const ModelSpec& m) {
  return fmt::format("{} ({} layers, hidden {})", m.name, m.layers, m.hidden);
}

}  // namespace ptsim::launch
