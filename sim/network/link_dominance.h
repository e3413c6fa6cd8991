// Links whose capacity constraint another link always implies, for a known set of flow phases.
//
// If two shared links are crossed by exactly the same phases with the same weights, then at every
// instant they carry the same flows with the same weights: any flow on one is an instance of a
// phase that crosses both. Their constraints sum(w x rate) <= C then differ only in C, and the
// link with the larger capacity can never saturate before the smaller one: progressive filling
// subtracts the same amounts from both, and floating-point subtraction and division are monotone,
// so its fair share is never below the other's; where the shares tie, both fix the same flows at
// the same level in the same order. Dropping the dominated link from the solver's constraint
// lists therefore changes no rate and no finish time, bit for bit (tested in
// tests/simulator/determinism_test.cc against a run that keeps every link).
//
// Why it pays: a ring over 512 GPUs crosses about 1,500 links, and a reduced graph's 4-GPU
// context-parallel ring touching a few of them forces a re-solve over all 1,500 on every start and
// end. Almost all of those links carry only that ring (the NVLink ports and NIC rails of nodes
// the small groups never reach), so they fall into a handful of classes and the big flow shrinks
// to the few links where anything else can meet it.
#pragma once

#include <span>
#include <vector>

#include "sim/network/link_sharing.h"

namespace ptsim {

// `phases`: the link uses of every phase that may run (each merged: at most one use per link).
// `capacity_bytes_per_s` and `eligible` are per link; only eligible links (shared policy, finite
// capacity) are ever marked. Returns per link 1 where another eligible link with the same phases
// and weights has a smaller capacity, or the same capacity and a lower id.
std::vector<char> dominated_links(std::span<const std::span<const LinkUse>> phases,
                                  std::span<const double> capacity_bytes_per_s,
                                  std::span<const char> eligible);

}  // namespace ptsim
