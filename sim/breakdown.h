// Where a rank's step time goes, from a simulated timeline: while its compute stream runs a kernel
// the time counts as that op's category (compute or optimizer); while it is idle but
// communication of the rank is in flight the time is exposed communication of those dimensions
// (shared equally when several are); while nothing of the rank runs it is pipeline bubble (waiting
// for another rank). The parts sum to the step time.
#pragma once

#include <array>

#include "sim/graph/graph.h"
#include "sim/simulator.h"

namespace ptsim {

struct TimeBreakdown {
  std::array<double, kCategoryCount> seconds{};  // compute, optimizer, and exposed tp..ep
  double bubble_s = 0;
  double total_s() const;
};

// Needs op times (SimulationOptions::record_op_times).
TimeBreakdown time_breakdown(const Graph& graph, const SimulationResult& sim, GraphRank rank);

// The rank that finishes last (the one whose timeline explains the step time).
GraphRank critical_rank(const Graph& graph, const SimulationResult& sim);

}  // namespace ptsim
