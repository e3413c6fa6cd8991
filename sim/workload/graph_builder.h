// The workload builder: one training step of a (model, training, parallel) configuration as an
// execution graph, in full form (every GPU a graph rank) or reduced form (one representative per
// pipeline rank, standing for its tp x cp x dp symmetric peers).
//
// What one step contains, per rank (docs/workload.md has the op-by-op description):
// * the pipeline schedule's passes (pipeline_schedule.h) over the layers of the rank's model
// chunks;
// * per layer: norms, projections, attention (FlashAttention-style fused kernels, or the unfused
//   batched-GEMM + softmax path), MLP or MoE (router, permutation, dispatch/combine all-to-all,
//   expert grouped GEMMs, shared experts); Megatron tensor parallelism (all-reduce, or all-gather
//   and reduce-scatter under sequence parallelism); context parallelism (ring key/value rotation or
//   Ulysses all-to-all); recomputation (selective: the attention core; full: the whole layer);
// * embedding (vocabulary-parallel) on the first pipeline position and LM head + cross-entropy on
//   the last; activation and gradient sends between pipeline positions;
// * gradient reduction over data (and context) parallel ranks in buckets overlapped with backward
//   (DDP all-reduce, ZeRO-1/2 reduce-scatter + parameter all-gather, ZeRO-3/FSDP per-layer
//   all-gather before forward and backward with one-layer prefetch and reduce-scatter after),
//   expert gradients over the expert-data-parallel group, and the Adam step on each rank's shard;
// * memory events for weights, gradients, optimizer state, activations per micro-batch and
//   communication buffers.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/training_config.h"
#include "sim/workload/verdict.h"

namespace ptsim {

enum class GraphMode : std::uint8_t { full, reduced };

// Stream names every rank of a step graph has, in order.
inline constexpr std::array<const char*, 9> kStepStreams = {
    "compute", "tp", "cp", "ep", "dp", "pp_fwd_send", "pp_fwd_recv", "pp_bwd_send", "pp_bwd_recv"};
// DualPipe graphs add these: the point-to-point traffic of micro-batches that enter at the last
// pipeline rank. Each direction keeps its own in-order send and receive streams, as each pair of
// neighbours must see one direction's messages in the same order on both sides; one stream holding
// both directions' sends to two different peers deadlocks once the schedule interleaves them.
inline constexpr std::array<const char*, 4> kDualPipeReverseStreams = {
    "pp_rev_fwd_send", "pp_rev_fwd_recv", "pp_rev_bwd_send", "pp_rev_bwd_recv"};

struct StepGraph {
  Graph graph;
  GraphMode mode = GraphMode::reduced;
  int micro_batches = 0;
  int model_stages = 0;
  std::vector<int> layers_per_model_stage;
  std::vector<int> pipeline_rank;  // per graph rank
  // Bytes each rank of a pipeline rank sends per step, by category (tp, cp, dp, pp, ep), counted as
  // the standard algorithms move them: all-reduce 2(n-1)/n S, all-gather / reduce-scatter /
  // all-to-all (n-1)/n S, ring shift and send S (see graph.h for S).
  std::vector<std::array<double, kCategoryCount>> comm_bytes_by_pipeline_rank;
  // Model state per rank of each pipeline rank (bytes): weights, gradients, optimizer.
  std::vector<std::array<double, 3>> model_state_bytes_by_pipeline_rank;
  // Parameters held per rank of each pipeline rank (elements).
  std::vector<double> params_by_pipeline_rank;
};

struct BuildResult {
  Verdict verdict;
  std::optional<StepGraph> step;  // present when verdict.ok
};

// A simulation holds its whole step graph in memory: about 100 bytes per op with the graph's
// index and the engine's state (deepseek-v3, 6.4 M ops: 642 MB peak RSS). A step whose graph
// would exceed this many ops is refused with the rule "graph_size" instead of exhausting the
// machine's memory; the 405B full graph of 16,384 GPUs (46.8 M ops) stays under it.
inline constexpr double kMaxStepGraphOps = 100e6;

// A ceiling on the ops of a valid configuration's step graph, from its sizes alone: 64 + 8 cp ops
// per layer and micro-batch on each rank, plus 1000 per rank.
double step_graph_ops_ceiling(const ModelSpec& model, const TrainingConfig& training,
                              const ParallelConfig& parallel, int gpus, GraphMode mode);

// A floor under the same count: 4 ops per layer and micro-batch on each rank (tp 1 without
// recomputation, the fewest: each block's forward and backward one compute sequence). A step over
// kMaxStepGraphOps by this floor is refused without building anything.
double step_graph_ops_floor(const ModelSpec& model, const TrainingConfig& training,
                            const ParallelConfig& parallel, int gpus, GraphMode mode);

// The ops of a valid configuration's step graph without building it whole: two short steps are
// built (the fewest micro-batches the schedule allows, pp for ZB-H1, and twice that) and their
// difference extends the count to the whole step. Exact while the ops grow linearly with the
// micro-batches (every schedule but ZB-H1, which it overestimates by a few percent). A step no
// longer than the first short one is built and counted. Where the shortest step's ceiling is over
// `build_limit_ops` (a model too deep to build even that), the short steps are built at one and
// two layers per model chunk and extended linearly in layers too, within a few percent (gradient
// buckets are whole; uneven layer splits and expert-layer patterns do not repeat exactly).
double estimated_step_graph_ops(const ModelSpec& model, const TrainingConfig& training,
                                const ParallelConfig& parallel, int gpus, GraphMode mode,
                                double build_limit_ops = kMaxStepGraphOps);

// Fails with the rules of check_config (config_rules.h), "rank_order", or "graph_size" (over
// kMaxStepGraphOps by estimated_step_graph_ops, asked only when the ceiling is over it and the step
// can be shortened).
BuildResult build_step_graph(const ModelSpec& model, const TrainingConfig& training,
                             const ParallelConfig& parallel, int gpus, GraphMode mode);

}  // namespace ptsim
