// Runs an execution graph on the discrete-event engine, the cost models and the network.
//
// Semantics (DESIGN.md "Simulation"): every (rank, stream) is an in-order queue, like a CUDA
// stream; an op starts when it is at the head of its stream, the stream is idle and all its deps
// have finished. Compute ops take their kernels' times from the compute cost model and progress
// at 1 / (1 + comm_overlap_slowdown) of that speed for as long as a communication op of the same
// rank is in progress (NCCL kernels hold SMs, also while they wait for peers). A collective starts
// when every member present in the graph has reached it (NCCL semantics; instances matched per
// group in issue order) and then runs its algorithm's phases as flows on the topology
// (sim/network/collective_flows.h), sharing link bandwidth max-min fairly with every other flow in
// progress. A send and the receive with the same (sender, receiver, match) start together as one
// transfer. Memory events are instantaneous and move the rank's allocated bytes, whose peak is
// recorded.
//
// Deterministic: the engine orders equal-time events by insertion, and nothing here iterates an
// unordered container on a path that decides order.
//
// Leaves out: host-side launch gaps beyond the per-kernel launch time, CUDA-graph capture, NCCL
// channel counts and protocol switches beyond the cost model's efficiency curves.
// Validated by tests/simulator/*: pipeline bubbles, collective closed forms, invariants over random
// configurations, full vs reduced agreement, determinism.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hardware_profiles/cluster_profile.h"
#include "sim/graph/graph.h"
#include "sim/network/topology.h"

namespace ptsim {

struct SimulationOptions {
  bool record_op_times = true;  // per-op start and end times (breakdowns and traces need them)
  // Leave links whose constraint another link implies out of the bandwidth solver
  // (sim/network/link_dominance.h). Results are bit-identical either way; off only for the test
  // that checks so.
  bool drop_dominated_links = true;
};

struct RankMemoryUse {
  double peak_bytes = 0;                          // peak of the sum over tags of allocated bytes
  std::array<double, kMemoryTagCount> at_peak{};  // what was allocated at that peak
  std::array<double, kMemoryTagCount> peak_by_tag{};  // each tag's own peak
};

struct SimulationResult {
  bool completed = true;  // false means a deadlock, which is a bug in the graph's builder
  std::string stuck;      // description of the first op that never ran
  double step_time_s = 0;
  // Per op, when recorded. A communication op starts when its transfer launches (all members
  // arrived), not when it reached the head of its stream.
  std::vector<double> op_start_s;
  std::vector<double> op_end_s;
  std::vector<RankMemoryUse> memory;  // per graph rank
  std::uint64_t events = 0;
  std::uint64_t flows = 0;
};

SimulationResult simulate_graph(const Graph& graph, const ClusterProfile& cluster,
                                const Topology& topology, const SimulationOptions& options = {});

}  // namespace ptsim
