#include "planner/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "sim/workload/model_flops.h"

namespace ptsim {

double peak_flops_per_s(const ClusterProfile& cluster, Precision precision) {
  return cluster.gpu.peak(precision == Precision::fp8 ? Dtype::fp8 : Dtype::bf16);
}

namespace {

// Communicators each rank joins (for NCCL buffer memory): the distinct groups of its ops, plus one
// per pipeline peer. One pass over the ops: a full graph has millions of ops and thousands of
// ranks.
std::vector<int> communicator_counts(const Graph& g) {
  constexpr std::uint64_t kPeer = std::uint64_t{1} << 32;
  std::vector<std::vector<std::uint64_t>> keys(g.rank_count());
  for (const Op& op : g.ops()) {
    std::uint64_t key;
    if (op.kind == OpKind::collective) {
      key = g.collective_of(op).group;
    } else if (op.kind == OpKind::send || op.kind == OpKind::recv) {
      key = kPeer | g.transfer_of(op).peer;
    } else {
      continue;
    }
    auto& k = keys[op.rank];
    if (k.empty() || k.back() != key) k.push_back(key);  // runs of one group are common
  }
  std::vector<int> counts(keys.size());
  for (std::size_t r = 0; r < keys.size(); ++r) {
    std::sort(keys[r].begin(), keys[r].end());
    counts[r] = static_cast<int>(std::unique(keys[r].begin(), keys[r].end()) - keys[r].begin());
  }
  return counts;
}

}  // namespace

Evaluation evaluate(const ModelSpec& model, const TrainingConfig& training,
                    const ParallelConfig& parallel, const ClusterProfile& cluster,
                    const Topology& topology, int gpus, const EvaluationOptions& options) {
  Evaluation out;
  const auto start = std::chrono::steady_clock::now();
  if (training.precision == Precision::fp8 && !cluster.gpu.supports(Dtype::fp8)) {
    out.verdict = Verdict::fail("precision_supported",
                                "the " + cluster.gpu.name + " has no fp8 tensor cores");
    return out;
  }
  BuildResult built = build_step_graph(model, training, parallel, gpus, options.mode);
  out.verdict = built.verdict;
  if (!built.verdict.ok) return out;
  StepGraph& step = *built.step;
  SimulationOptions sim_options;
  sim_options.record_op_times = options.record_op_times || options.keep_graph;
  SimulationResult sim = simulate_graph(step.graph, cluster, topology, sim_options);
  PTSIM_CHECK(sim.completed,
              "simulation of tp" + std::to_string(parallel.tp) + " pp" +
                  std::to_string(parallel.pp) + " dp" + std::to_string(parallel.dp) + " cp" +
                  std::to_string(parallel.cp) + " ep" + std::to_string(parallel.ep) + " vpp" +
                  std::to_string(parallel.vpp) + " mb" + std::to_string(parallel.micro_batch) +
                  " " + schedule_name(parallel.schedule) + " deadlocked at " + sim.stuck);

  StepResult r;
  r.step_time_s = sim.step_time_s;
  const double tokens = static_cast<double>(training.global_batch) * training.seq_len;
  r.tokens_per_s = tokens / r.step_time_s;
  const StepFlops flops = step_flops(model, training.seq_len, training.global_batch,
                                     parallel.recompute, parallel.recompute_modules);
  r.model_flops_per_step = flops.model_flops;
  r.hardware_flops_per_step = flops.hardware_flops;
  if (parallel.recomputes_some_layers()) {
    r.hardware_flops_per_step =
        partial_recompute_hardware_flops(model, training.seq_len, training.global_batch,
                                         step.layers_per_model_stage, parallel.recompute_layers);
  }
  const double peak = peak_flops_per_s(cluster, training.precision);
  r.tflops_per_gpu = r.model_flops_per_step / (r.step_time_s * gpus) / 1e12;
  r.mfu = r.model_flops_per_step / (r.step_time_s * gpus * peak);
  r.hfu = r.hardware_flops_per_step / (r.step_time_s * gpus * peak);
  r.micro_batches = step.micro_batches;
  r.ops = step.graph.op_count();
  r.events = sim.events;

  // Memory: tensors the timeline allocated, plus fragmentation, CUDA context and NCCL buffers.
  const auto& overheads = cluster.memory;
  const std::vector<int> communicators = communicator_counts(step.graph);
  r.memory.capacity_bytes = cluster.gpu.hbm_capacity_bytes;
  r.memory.per_stage_bytes.assign(static_cast<std::size_t>(parallel.pp), 0.0);
  for (GraphRank gr = 0; gr < step.graph.rank_count(); ++gr) {
    const RankMemoryUse& use = sim.memory[gr];
    const double overhead = use.peak_bytes * overheads.allocator_fragmentation +
                            overheads.cuda_context_bytes +
                            overheads.nccl_buffer_bytes * communicators[gr];
    const double total = use.peak_bytes + overhead;
    const auto stage = static_cast<std::size_t>(step.pipeline_rank[gr]);
    if (total > r.memory.per_stage_bytes[stage]) r.memory.per_stage_bytes[stage] = total;
    if (total > r.memory.peak_bytes) {
      r.memory.peak_bytes = total;
      r.memory.at_peak_bytes = use.at_peak;
      r.memory.overhead_bytes = overhead;
    }
  }
  r.memory.fits = r.memory.peak_bytes <= r.memory.capacity_bytes;

  for (std::size_t i = 0; i < kCommCategories.size(); ++i) {
    for (const auto& bytes : step.comm_bytes_by_pipeline_rank) {
      r.comm_bytes_per_rank[i] =
          std::max(r.comm_bytes_per_rank[i], bytes[static_cast<std::size_t>(kCommCategories[i])]);
    }
  }
  if (sim_options.record_op_times) {
    const GraphRank critical = critical_rank(step.graph, sim);
    r.breakdown = time_breakdown(step.graph, sim, critical);
    r.breakdown_pipeline_rank = step.pipeline_rank[critical];
    r.kernels = kernel_profile(step.graph, critical, ComputeCostModel(cluster.gpu));
  }
  r.simulation_wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.result = r;
  if (options.keep_graph) {
    out.graph = std::move(step);
    out.timeline = std::move(sim);
  }
  return out;
}

}  // namespace ptsim
