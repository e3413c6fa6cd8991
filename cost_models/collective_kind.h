// The collectives the simulator and its cost models know, and their size convention (nccl-tests):
// all-reduce and broadcast S = buffer bytes; all-gather and reduce-scatter S = the full (gathered)
// buffer, n x each rank's shard; all-to-all S = bytes each rank sends in total (including the 1/n
// it keeps); ring_shift S = bytes each member sends to its ring successor.
#pragma once

#include <cstdint>

namespace ptsim {

enum class CollectiveKind : std::uint8_t {
  all_reduce,
  all_gather,
  reduce_scatter,
  all_to_all,
  broadcast,
  // Every member sends `bytes` to its successor in ring order and receives as many from its
  // predecessor at the same time (context-parallel key/value rotation, NCCL grouped send/recv).
  ring_shift,
};

// An all-to-all whose payload is items each sent to `copies` distinct destination slots out of
// `slots`, spread evenly over the group's members, may travel once per destination domain and fan
// out inside it (DeepEP-style dispatch: a token goes once to each node holding one of its top-k
// experts). copies = 0: a plain collective.
struct DomainDedup {
  std::uint32_t copies = 0;
  std::uint32_t slots = 0;
  friend bool operator==(const DomainDedup&, const DomainDedup&) = default;
};

// Probability that an item's `copies` distinct slots, drawn uniformly from `slots`, include at
// least one of a domain's `domain_slots`: 1 - C(slots - domain_slots, copies) / C(slots, copies).
double domain_hit_probability(const DomainDedup& d, double domain_slots);

const char* collective_kind_name(CollectiveKind k);

// Bytes each rank puts on the wire for a collective of size S over n ranks with the standard
// algorithms (nccl-tests bus bandwidth factors, formulas.md section 5).
double wire_bytes_per_rank(CollectiveKind k, int n, double s);

}  // namespace ptsim
