// Pipeline schedules as data: for every pipeline rank, the ordered list of passes it runs in one
// step. The graph builder turns each pass into ops; the simulator's timing then shows the bubble.
//
// Model chunks and positions. A micro-batch travels through "positions" 0..K-1 of its pipeline
// direction; each position is a model chunk held by one rank. 1F1B/GPipe/ZB-H1: K = pp, position k
// on rank k. Interleaved (Narayanan et al. 2021, section 2.2.2): K = pp * vpp, position k on rank
// k % pp as its chunk k / pp. DualPipe (DeepSeek-V3 report, section 3.2.1): two directions of K =
// pp positions; direction 0 runs ranks 0..pp-1 (chunk 0), direction 1 runs ranks pp-1..0 (chunk 1),
// and rank r holds model stages r and pp-1-r (parameters twice).
//
// Bubbles these orders produce (tests/simulator/pipeline_bubble_test.cc checks them by simulation):
// GPipe and 1F1B (p-1)/(m+p-1) of the step; interleaved (p-1)/(v m) of the ideal time.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/workload/parallel_config.h"

namespace ptsim {

enum class Pass : std::uint8_t {
  forward,
  backward,         // input and weight gradients together (B and W back to back per layer)
  backward_input,   // B: input gradients only (zero-bubble schedules)
  backward_weight,  // W: weight gradients only
};

struct PipelineWork {
  Pass pass = Pass::forward;
  int chunk = 0;        // local model chunk on this rank
  int micro_batch = 0;  // global micro-batch index in [0, m)
  // DualPipe: this pass and the next one in the list run overlapped (the forward of one
  // micro-batch with the backward of another), their ops interleaved.
  bool overlap_with_next = false;
};

struct PipelinePosition {
  int rank = 0;
  int chunk = 0;
};

struct PipelinePlan {
  int ranks = 1;
  int chunks_per_rank = 1;
  // Positions of each direction in pipeline order; directions[d][k].
  std::vector<std::vector<PipelinePosition>> directions;
  // Which direction each micro-batch travels.
  std::vector<int> direction_of_micro_batch;
  // Model stage held by (rank, chunk): model_stage[rank][chunk], stages numbered 0..stages-1 in
  // layer order. Interleaved: pp * vpp stages; others: pp stages.
  std::vector<std::vector<int>> model_stage;
  int model_stages = 1;
  // The ordered passes of every rank: work[rank].
  std::vector<std::vector<PipelineWork>> work;
};

// Builds the plan for a schedule. Requires the shape rules of config_rules.h to hold.
PipelinePlan make_pipeline_plan(Schedule schedule, int pp, int vpp, int micro_batches);

// How many of a step's `micro_batches` reach its peak memory: a step with that many micro-batches
// (and everything else equal) peaks at the same bytes on every rank. Every schedule but GPipe
// holds a bounded number of micro-batches' activations at once: 1F1B and ZB-H1 at most pp - r on
// rank r, interleaved at most its warm-up of 2 (pp - r - 1) + (vpp - 1) pp forwards plus one,
// DualPipe at most about 2 pp. Past 2 pp (vpp + 2) micro-batches, a multiple of 2 pp (which keeps
// the interleaved and DualPipe shape rules), the schedule only repeats its steady state. GPipe
// holds all of them: its answer is `micro_batches`. Checked against full steps by
// tests/simulator/memory_probe_test.cc.
int peak_memory_micro_batches(Schedule schedule, int pp, int vpp, int micro_batches);

}  // namespace ptsim
