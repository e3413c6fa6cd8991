// Closed-form lower bounds on the time of one pipeline pass (forward, backward, input-gradient
// backward B, weight-gradient W) of one model stage on one rank, without building or simulating a
// graph. They feed the planner's optimistic step time (bounds.h).
//
// What is counted: every kernel the graph builder emits for a layer, the embedding and the LM head
// (the same kernel descriptors as sim/workload/layer_kernels.cc, timed by the same
// ComputeCostModel, at no contention), plus the communication the compute stream must wait for
// (tensor-parallel all-gather / reduce-scatter / all-reduce without --tp-comm-overlap, Ulysses
// all-to-alls, the last ring-attention shift of a backward, expert all-to-alls and expert-TP
// collectives) at their contention-free time on the topology (bounds_comm.h). Communication that
// runs beside compute (ring-attention shifts, pipelined TP with --tp-comm-overlap, data-parallel
// reductions, ZeRO prefetch) counts for nothing, which keeps the bound sound.
//
// Why it is a lower bound of the simulated time: in the simulator a compute op takes at least its
// kernels' summed times (1 + comm_overlap_slowdown longer when communication runs), a collective
// at least its contention-free time (sharing links only slows flows), and an op starts only after
// its dependencies; the chains below follow the dependencies the builder creates
// (layer_emitter.cc), so their length cannot exceed the simulated one.
//
// Validated by tests/planner_search/bounds_test.cc: each rank's summed compute equals the compute
// ops of the built graph (which detects any drift from the builder), and the step-time bound is
// never above the simulated step time over hundreds of configurations.
#pragma once

#include <array>

#include "cost_models/compute_cost.h"
#include "sim/workload/model_spec.h"
#include "sim/workload/parallel_config.h"
#include "sim/workload/rank_shapes.h"
#include "sim/workload/training_config.h"

namespace ptsim {

// Contention-free seconds of the communication ops that block a compute chain; 0 where the group
// has one member or the op does not exist in this configuration.
struct BlockingCommTimes {
  double tp_gather = 0;        // all-gather of the residual stream (sequence parallelism)
  double tp_exit = 0;          // reduce-scatter (SP) or all-reduce leaving a TP block
  double tp_loss = 0;          // the cross-entropy all-reduce (8 bytes per token)
  double cp_a2a_qkv = 0;       // Ulysses all-to-all of q, k, v
  double cp_a2a_out = 0;       // Ulysses all-to-all of the attention output
  double cp_ring_kv = 0;       // a key/value ring shift (forward; the last one of a backward)
  double cp_ring_kv_grad = 0;  // a backward ring shift: key/value blocks with their gradients
  double ep_a2a = 0;           // expert dispatch or combine
  double etp_gather = 0;       // expert-TP all-gather
  double etp_reduce = 0;       // expert-TP reduce-scatter
  bool tp_overlapped = false;  // --tp-comm-overlap: layer TP collectives run beside GEMMs
};

enum class CommStream : std::uint8_t { tp, cp, ep };

// Lower bounds on one pass: summed kernel time, and the dependency chain from the pass's first
// compute op to its last (interior communication included). `lead_s` is communication that must
// finish before the first compute op (after the pass's input arrives), `trail_s` communication
// after the last compute op that the next pipeline position waits for; both are also inside
// chain_s.
struct PassCost {
  double compute_s = 0;
  double chain_s = 0;
  double lead_s = 0;
  double trail_s = 0;
  // Contention-free seconds of all communication the pass puts on each stream (tp, cp, ep),
  // blocking or not: the time communication of the rank is certainly in progress somewhere.
  std::array<double, 3> stream_s{};
  // Communication the compute stream certainly waits for, idle (the block entries and exits, not
  // the lead or trail, which may overlap a neighbouring pass, nor waits on transfers that started
  // during earlier kernels); included in chain_s.
  double blocked_s = 0;
  // Time the compute stream is certainly occupied: the chain between first and last compute op.
  double body_s() const;
  PassCost& operator+=(const PassCost& o);
};

// One layer of one kind.
struct LayerCosts {
  PassCost forward;
  PassCost backward;         // input and weight gradients; lead_s: the MLP entry all-gather
  PassCost backward_input;   // B (zero-bubble schedules): input gradients only
  PassCost backward_weight;  // W: the weight-gradient GEMMs
};

// Embedding (first stage) and LM head + loss (last stage) parts of passes.
struct EdgeCosts {
  PassCost embed_forward, embed_backward;
  PassCost head_forward;   // trail_s: the loss all-reduce
  PassCost head_backward;  // runs in B as in full backward (dgrad and wgrad)
};

class LayerCostModel {
 public:
  LayerCostModel(const ModelSpec& model, const TrainingConfig& training,
                 const ParallelConfig& parallel, const ComputeCostModel& compute,
                 const BlockingCommTimes& comm);

  const LayerCosts& dense() const { return dense_; }
  const LayerCosts& moe() const { return moe_; }
  const LayerCosts& layer(int index) const;
  const EdgeCosts& edges() const { return edges_; }
  const RankShapes& shapes() const { return shapes_; }
  // The optimizer phase (sim/workload/optimizer_step.h) of a rank holding `rank_params`, whose
  // optimizer state covers `shard_params`.
  double optimizer_s(double rank_params, double shard_params) const;

 private:
  LayerCosts layer_costs(bool moe_layer) const;

  const ModelSpec& m_;
  TrainingConfig t_;
  ParallelConfig p_;
  const ComputeCostModel& cm_;
  BlockingCommTimes comm_;
  RankShapes shapes_;
  LayerCosts dense_, moe_;
  EdgeCosts edges_;
};

}  // namespace ptsim
