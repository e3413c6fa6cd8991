// The planner's configuration space: which values each parallel dimension may take for one
// (model, training, cluster, GPU count), and the enumeration of their product.
//
// Every configuration flag the user gives pins its dimension (SearchPins); the others range over
// these domains:
//   tp     powers of two up to the NVLink domain (8 on DGX, 64 on NVL72); beyond it only if pinned,
//          because tensor parallelism across InfiniBand is never competitive and Megatron keeps it
//          inside a node
//   cp     powers of two with the sequence divisible by 2 cp (causal load balancing)
//   pp     divisors of gpus / (tp cp), at most the layer count (uneven splits as the builder does)
//   dp     derived: gpus / (tp cp pp)
//   ep     divisors of the expert count (MoE only); etp in {1, tp}
//   micro-batch  powers of two up to the per-replica batch (global batch / dp)
//   schedule     1f1b, zb-h1, interleaved with vpp in 2..layers/pp, dualpipe (MoE only) when pp >
//                1; 1f1b alone when pp = 1; gpipe only when pinned. A pin may name several (the
//                schedules a framework offers): the search ranges over those
//   sequence parallel on when tp > 1 (off only when pinned); recompute none | selective | full;
//   zero 0..3; context-parallel algorithm ring unless pinned
//   rank order   Megatron's default (tp-cp-ep-dp-pp) unless pinned: it keeps tensor-parallel peers
//                inside a node, which dominates every other placement for the TP traffic that is
//                exposed on the critical path; searching orders would multiply the space for
//                layouts that the default already covers.
// The domains are deliberately generous; check_config's rules (counted per rule) and the memory
// bound prune what cannot run. Enumeration order is fixed (nested loops in the order above), so
// the candidate list is deterministic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hardware_profiles/cluster_profile.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim {

// Dimensions the user fixed. Unset = searched.
struct SearchPins {
  std::optional<int> tp, pp, dp, cp, ep, etp, vpp, micro_batch, zero;
  std::optional<bool> sequence_parallel;
  std::optional<Recompute> recompute;
  // Pipeline schedules to search (any order, repeats harmless); empty = every schedule.
  std::vector<Schedule> schedules;
  std::optional<CpAlgorithm> cp_algorithm;
  std::optional<std::string> rank_order;
  // Framework behaviours (gradient-reduction overlap, TP comm overlap, EP all-to-all overlap,
  // bucket size) are not searched: every candidate takes them from here.
  ParallelConfig framework;

  // A pinned set holds `s`, or no schedule is pinned.
  bool allows(Schedule s) const {
    return schedules.empty() || std::find(schedules.begin(), schedules.end(), s) != schedules.end();
  }
};

// Value lists of each searched dimension that do not depend on the others.
struct SpaceDomains {
  std::vector<int> tp, cp, zero;
  std::vector<Recompute> recompute;
};
SpaceDomains space_domains(const ModelSpec& model, const TrainingConfig& training,
                           const ClusterProfile& cluster, int gpus, const SearchPins& pins);

// Calls `visit` for every configuration of the space, in a fixed order. Returns how many.
std::int64_t enumerate_configs(const ModelSpec& model, const TrainingConfig& training,
                               const ClusterProfile& cluster, int gpus, const SearchPins& pins,
                               const std::function<void(const ParallelConfig&)>& visit);

// A total order on configurations (the ranking's last tie-break) and a readable key that sorts
// the same way: "tp8 pp4 dp16 cp1 ep1 etp1 vpp5 mb1 sp1 z1 selective interleaved ring
// tp-cp-ep-dp-pp".
bool config_less(const ParallelConfig& a, const ParallelConfig& b);
std::string config_key(const ParallelConfig& p);

// The layout in the words of the planner's table: "tp8 pp4x5 dp16 mb1 sp z1 sel interleaved".
std::string layout_label(const ParallelConfig& p, bool moe);

}  // namespace ptsim
