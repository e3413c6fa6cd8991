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

const char* collective_kind_name(CollectiveKind k);

// Bytes each rank puts on the wire for a collective of size S over n ranks with the standard
// algorithms (nccl-tests bus bandwidth factors, formulas.md section 5).
double wire_bytes_per_rank(CollectiveKind k, int n, double s);

}  // namespace ptsim
