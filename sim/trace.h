// Chrome trace event JSON of a simulated step (opens in Perfetto and chrome://tracing): one process
// per rank (named by global rank and role), one thread per stream, one complete ("X") event per op
// with its label (layer, micro-batch, phase), and args: kernels run, or collective kind and bytes.
// Times in microseconds with fixed precision, so equal inputs give byte-identical traces.
#pragma once

#include <string>

#include "sim/graph/graph.h"
#include "sim/simulator.h"

namespace ptsim {

std::string chrome_trace_json(const Graph& graph, const SimulationResult& sim);

}  // namespace ptsim
