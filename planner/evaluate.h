// One configuration, end to end: build its step graph, simulate it on the cluster, and turn the
// timeline into the figures users read (step time, tokens/s, TFLOP/s per GPU, MFU, HFU, memory per
// pipeline stage against capacity, communication volume and where the time goes). `simulate`,
// `validate`, `planner` and `whatif` all evaluate configurations through this one function.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "hardware_profiles/cluster_profile.h"
#include "sim/breakdown.h"
#include "sim/kernel_profile.h"
#include "sim/network/topology.h"
#include "sim/simulator.h"
#include "sim/workload/graph_builder.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"
#include "sim/workload/verdict.h"

namespace ptsim {

struct MemoryReport {
  double peak_bytes = 0;                // worst GPU, overheads included
  std::vector<double> per_stage_bytes;  // per pipeline rank
  double capacity_bytes = 0;
  bool fits = true;
  // Composition of the worst GPU's peak: weights, gradients, optimizer, activations,
  // communication buffers, workspace (tensor bytes), then framework overhead.
  std::array<double, kMemoryTagCount> at_peak_bytes{};
  double overhead_bytes = 0;
};

struct StepResult {
  double step_time_s = 0;
  double tokens_per_s = 0;
  double tflops_per_gpu = 0;  // model FLOPs (Megatron's count) per second per GPU, in TFLOP/s
  double mfu = 0;             // model FLOPs / (step time x GPUs x dense peak of the precision)
  double hfu = 0;             // hardware FLOPs (recompute included) over the same
  double model_flops_per_step = 0;
  double hardware_flops_per_step = 0;
  MemoryReport memory;
  std::array<double, 5> comm_bytes_per_rank{};  // tp, cp, dp, pp, ep (worst pipeline rank)
  TimeBreakdown breakdown;                      // of the rank that finishes last
  int breakdown_pipeline_rank = 0;              // that rank's pipeline rank
  std::optional<KernelProfile> kernels;         // of the same rank (with the breakdown)
  int micro_batches = 0;
  // Simulation cost.
  std::size_t ops = 0;
  std::uint64_t events = 0;
  double simulation_wall_s = 0;
};

struct EvaluationOptions {
  GraphMode mode = GraphMode::reduced;
  bool keep_graph = false;      // keep the graph and timeline (for traces)
  bool record_op_times = true;  // needed for the breakdown and the kernel profile
};

struct Evaluation {
  Verdict verdict;  // not ok: the configuration cannot run (rule broken)
  std::optional<StepResult> result;
  std::optional<StepGraph> graph;            // when keep_graph
  std::optional<SimulationResult> timeline;  // when keep_graph
};

// Category order of comm_bytes_per_rank and of the exposed-communication breakdown.
inline constexpr std::array<Category, 5> kCommCategories = {
    Category::tp, Category::cp, Category::dp, Category::pp, Category::ep};

// `topology` must be the cluster's topology for `gpus` GPUs (callers evaluating many
// configurations build it once).
Evaluation evaluate(const ModelSpec& model, const TrainingConfig& training,
                    const ParallelConfig& parallel, const ClusterProfile& cluster,
                    const Topology& topology, int gpus, const EvaluationOptions& options = {});

// The dense peak used for MFU/HFU: bf16 (or fp8) of the cluster's GPU.
double peak_flops_per_s(const ClusterProfile& cluster, Precision precision);

}  // namespace ptsim
