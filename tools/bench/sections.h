// The sections of `bench`, one per file; each prints its figures and returns an exit code.
#pragma once

#include <string>

namespace ptsim::bench {

// Graph build wall time and op count of the README cases, reduced and full.
int graph(bool include_huge_full);

// One `simulate` of the README cases split into graph build and simulation, with events and
// events per second; the 16,384-GPU full graphs only with `include_huge_full`, no full graph at all
// with `reduced_only` (quick before/after comparisons of the reduced cases); with a non-empty
// `only`, just the cases whose label contains it (profiling one case).
int simulate(bool include_huge_full, bool reduced_only, int repetitions, const std::string& only);

}  // namespace ptsim::bench
