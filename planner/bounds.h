// Sound bounds the planner prunes and orders candidates with, computed without building or
// simulating a graph.
//
// * Memory lower bound (per GPU, worst pipeline rank): model state per ZeRO stage (Rajbhandari et
//   al. 2019, model_state_memory.h) of the parameters the rank holds, plus the activations
//   (Korthikanti et al. 2022, activation_memory.h) of the micro-batches it holds at once in its
//   schedule (1F1B: pipeline rank k holds p - k), times (1 + allocator fragmentation), plus the
//   CUDA context. The simulated peak adds workspace, communication buffers, NCCL buffers and the
//   embedding and head activations, and never frees earlier, so it is never below this bound.
// * Time lower bound: the largest of
//     - each rank's compute stream: the summed lower-bound times of all its passes and its
//       optimizer step (bounds_layer.h), the quick bound used to order candidates;
//     - the pipeline schedule run on lower-bound pass times (bounds_pipeline.h), which adds the
//       bubble, the point-to-point hops and the compute slowdown while a rank's pipeline
//       receives are posted (from time 0 to its last input's arrival);
//     - under ZeRO-3, each rank's data-parallel stream: every layer's parameter all-gather (forward
//       and backward) and gradient reduce-scatter, per micro-batch, at contention-free time;
//       gathered on demand (Zero3Gather::on_demand), the all-gathers run at their rate cap on the
//       compute stream, which waits for each, and only the reduce-scatters on the data-parallel
//       stream.
//   Each is a lower bound of the simulated step time, so the largest is too.
// Validated by tests/planner_search/bounds_test.cc (never above the simulation over hundreds of
// configurations of small models; per-rank compute equal to the built graph's).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "cost_models/compute_cost.h"
#include "hardware_profiles/cluster_profile.h"
#include "planner/bounds_comm.h"
#include "planner/bounds_pipeline.h"
#include "sim/network/topology.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"

namespace ptsim {

class PlannerBounds {
 public:
  // `parallel` configurations given later must pass check_config for `gpus` GPUs. Not thread
  // safe (it caches); the planner calls it from one thread.
  PlannerBounds(const ModelSpec& model, const TrainingConfig& training,
                const ClusterProfile& cluster, const Topology& topology, int gpus);
  ~PlannerBounds();
  PlannerBounds(const PlannerBounds&) = delete;
  PlannerBounds& operator=(const PlannerBounds&) = delete;

  double memory_bytes(const ParallelConfig& p);
  // A weaker memory bound without the schedule: one chunk's activations in flight per rank.
  double quick_memory_bytes(const ParallelConfig& p) const;
  // Busiest compute (or ZeRO-3 data-parallel) stream; cheap, no schedule walk.
  double quick_time_s(const ParallelConfig& p);
  // The full bound; at least quick_time_s.
  double time_s(const ParallelConfig& p);

  // Each pipeline rank's summed kernel time over the step (passes and optimizer), the quantity the
  // graph's compute ops sum to (tests compare the two).
  std::vector<double> rank_compute_s(const ParallelConfig& p);

  // Layers per model stage as the graph builder assigns them.
  static std::vector<int> layers_per_stage(int layers, int stages);

 private:
  struct MemoryParts {
    std::vector<double> state;                   // model state per rank
    std::vector<double> optimizer_copy;          // fp32 gradients during the optimizer step
    std::vector<std::vector<double>> chunk_act;  // activations of one micro-batch per chunk
    double frag = 1;                             // 1 + allocator fragmentation
    double base = 0;                             // CUDA context and NCCL buffers
  };
  MemoryParts memory_parts(const ParallelConfig& p) const;
  struct Costs;       // per-configuration pass costs, shared by the bounds
  struct LayoutComm;  // communication times of one layout and micro-batch size
  Costs& costs(const ParallelConfig& p);
  std::unique_ptr<Costs> build_costs(const ParallelConfig& p);
  static std::string costs_key(const ParallelConfig& p);
  void fill_layered(const ParallelConfig& p, Costs& c);
  const LayoutComm& layout_comm(const ParallelConfig& p);
  const LayerCostModel& layer_costs(const ParallelConfig& p);
  std::shared_ptr<const PreparedPlan> plan(const ParallelConfig& p);
  int micro_batches(const ParallelConfig& p) const;
  static double shard_params(const ParallelConfig& p, const Costs& c, std::size_t rank);
  // A rank's compute stream over the step, slowed where its communication overlaps compute:
  // kernels (work), the time it certainly waits for communication inside passes (blocked), and a
  // lower bound on how long any communication of the rank is in progress (busy).
  struct RankLoad {
    double work_s = 0, blocked_s = 0, comm_busy_s = 0;
  };
  RankLoad rank_load(const ParallelConfig& p, const Costs& c, std::size_t rank) const;
  double load_bound_s(const RankLoad& load) const;

  const ModelSpec& model_;
  const TrainingConfig& training_;
  const ClusterProfile& cluster_;
  const Topology& topology_;
  int gpus_;
  ComputeCostModel compute_;
  CommBounds comm_;
  std::map<std::tuple<int, int, int, int, bool>, std::shared_ptr<const PreparedPlan>> plans_;
  std::size_t cached_passes_ = 0;
  std::map<std::string, std::unique_ptr<LayoutComm>> comm_cache_;
  std::map<std::string, std::unique_ptr<LayerCostModel>> layer_cache_;
  std::map<std::string, std::unique_ptr<Costs>> costs_;
};

}  // namespace ptsim
