// The pipeline part of the planner's optimistic step time: the schedule's passes, in each rank's
// order (make_pipeline_plan, the same plan the graph builder follows), run on an idealised machine
// where each pass takes only its lower-bound time (bounds_layer.h), a pass waits for its
// predecessor position of the same micro-batch (forward: the previous position's forward;
// backward: the next position's backward) plus the contention-free point-to-point transfer, and
// nothing else waits. Every dependency used here also exists in the built graph and every duration
// is at most the simulated one, so the finish time is a lower bound of the simulated step time.
// It captures the bubble of every schedule (1F1B, interleaved, ZB-H1, DualPipe, GPipe) without
// a closed form per schedule.
//
// The simulator runs a rank's kernels 1 + s slower while any communication op of the rank is in
// progress (comm_overlap_slowdown s). The builder posts each pipeline receive as soon as the one
// before it on its stream completes (receives have no other dependency), so a rank with receives
// has communication in progress from time 0 until its last receive completes, at A_r. A_r is at
// least the latest input arrival of the rank in this walk, and the walk's times can only grow
// when passes inside [0, A_r] are slowed (every duration is monotone in the window's end), so the
// walk is repeated with each rank's window taken from the previous walk: every walk is a lower
// bound, each no shorter than the last. Under serial sends (ParallelConfig::serial_p2p) a receive
// is posted only after the work before it, so the caller gives no slowdown for the window.
//
// Also here: the number of micro-batches each rank holds in flight at once in the plan (the
// activation part of the memory bound), counting a micro-batch from the end of its forward to
// the start of its first backward pass (B or full), which is never more than the builder holds.
#pragma once

#include <memory>
#include <vector>

#include "planner/bounds_layer.h"
#include "sim/workload/pipeline_schedule.h"

namespace ptsim {

// A plan with the pairing the builder applies (DualPipe's overlapped pairs, and
// --ep-a2a-overlap's forward + backward pairs) and position lookups.
struct PreparedPlan {
  PipelinePlan plan;
  int micro_batches = 0;
  // position_of[direction][rank][chunk], -1 when the (rank, chunk) is not in that direction.
  std::vector<std::vector<std::vector<int>>> position_of;
  // Micro-batches held per chunk, per rank, at the moment the rank holds the most layers' worth
  // of activations (moments counted: the end of each forward not run beside another pass, the end
  // of each overlapped pair; the first such moment on ties).
  std::vector<std::vector<int>> peak_held;
  std::size_t passes = 0;
};

// `stage_layers`: layers per model stage (weights of the activation peak).
std::shared_ptr<const PreparedPlan> prepare_plan(Schedule schedule, int pp, int vpp,
                                                 int micro_batches, bool ep_a2a_overlap,
                                                 const std::vector<int>& stage_layers);

// A pass layer by layer, for ZeRO-3: each layer's compute waits for the all-gather of its
// parameters, and the data-parallel stream runs those gathers (and, after each layer's gradients,
// their reduce-scatter) one after another, in the builder's order: the first two gathers when the
// pass starts, then after layer k the reduce-scatter of k and the gather of layer k + 2 (the
// one-layer prefetch). Embedding and head parts need no gather here (theirs are left out, which
// only makes the stream freer). Gathered on demand (Zero3Gather::on_demand), each layer's gathers
// sit on the compute stream instead, issued when the layer before it is done and waited for.
struct LayeredPass {
  std::vector<double> chain_s;  // per layer in execution order (PassCost chain semantics)
  // Per layer; 0 in weight-gradient passes. On demand under full recomputation a backward gathers
  // twice (before the recomputed forward and again after it), both counted here.
  std::vector<double> gather_s;
  std::vector<double> reduce_s;  // per layer; 0 in forward and input-gradient passes
  double pre_s = 0;              // edge chain before the first layer
  double post_s = 0;             // edge chain after the last layer
};

struct StagePasses {
  PassCost forward, backward, backward_input, backward_weight;
  // Filled for ZeRO-3 only.
  LayeredPass layered_forward, layered_backward, layered_backward_input, layered_backward_weight;
};

struct PipelineBoundInputs {
  const PreparedPlan* plan = nullptr;
  std::vector<std::vector<StagePasses>> passes;  // [rank][chunk]
  // Contention-free transfer from position k to k + 1 (forward) and k + 1 to k (backward), per
  // direction: [direction][k].
  std::vector<std::vector<double>> p2p_forward_s, p2p_backward_s;
  bool zero3 = false;            // run passes layer by layer with the data-parallel stream
  bool zero3_on_demand = false;  // ... with each layer's gathers on the compute stream
  // The simulator's compute slowdown while communication runs (0: none); slows passes inside each
  // rank's receive window (non-ZeRO-3 walks only).
  double comm_overlap_slowdown = 0;
};

struct PipelineBound {
  double finish_s = 0;                // last pass (and its trailing communication) done
  std::vector<double> stream_free_s;  // per rank: its last pass's last kernel done
  std::vector<double> dp_free_s;      // per rank: its last ZeRO-3 collective done (0 otherwise)
  // Per rank: when the input of its first pass can be there at the earliest; none of the rank's
  // kernels or of the communication its passes issue runs before.
  std::vector<double> first_input_s;
  // Per rank: the latest input arrival (0 for a rank that receives nothing): communication of the
  // rank is in progress over [0, last_input_s] at least.
  std::vector<double> last_input_s;
};
// The optimizer steps are left to the caller (they depend on the ZeRO stage, the passes do not).
PipelineBound relaxed_pipeline(const PipelineBoundInputs& in);

}  // namespace ptsim
