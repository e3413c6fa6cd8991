// The views of an execution graph that walking it with stream semantics needs, built once per
// graph: each op's successors, each (rank, stream) queue in program order, the members of each
// group present in the graph, and each collective op's issue index on its (group, rank), which
// matches instances across ranks (NCCL semantics: the k-th collective a rank issues on a
// communicator is the communicator's k-th). Shared by the simulator (sim/simulator.cc) and the
// reference executor's launch plan (calibration/executor/launch_plan.cc), which walk a graph the
// same way, one with durations and one without.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/graph/graph.h"

namespace ptsim {

struct GraphIndex {
  explicit GraphIndex(const Graph& graph);

  // Queues are numbered rank x streams + stream.
  std::uint32_t stream_key(const Op& op) const { return op.rank * streams + op.stream; }
  std::size_t queue_count() const { return queue_offsets.size() - 1; }

  std::uint32_t streams = 0;                // per rank
  std::vector<std::uint32_t> succ_offsets;  // CSR: successors of op i are succ[offsets[i]..[i+1])
  std::vector<OpId> succ;
  std::vector<std::uint32_t> queue_offsets;  // CSR by stream key, ops in program order
  std::vector<OpId> queue;
  std::vector<std::uint32_t> present;  // per group: members that are graph ranks
  // Per op: a collective's issue index on its (group, rank); 0 for every other op and for
  // collectives of groups with at most one member present (nothing to match).
  std::vector<std::uint32_t> instance_seq;
};

}  // namespace ptsim
