// The collectives calibrate measures and nccl-tests' conventions for them: what the message size S
// of a collective is, and the bus-bandwidth factor that turns algorithm bandwidth S/t into a
// number comparable with one rank's link bandwidth. The factors and their derivation are written
// once, in calibration/BUSBW.md; tests/calibration/busbw_test.cc checks them against the table in
// shared/validation/formulas.md section 5.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace ptsim {

enum class Collective : std::uint8_t {
  all_reduce,
  all_gather,
  reduce_scatter,
  all_to_all,
  send_recv
};
inline constexpr int kCollectiveCount = 5;

const char* collective_name(Collective c);  // "all_reduce", ...
Result<Collective> parse_collective(const std::string& name, const std::string& source,
                                    const std::string& field);

// busbw = algbw * busbw_factor(c, ranks) (nccl-tests doc/PERFORMANCE.md). 0 for a single rank of
// all-reduce, all-gather, reduce-scatter and all-to-all: nothing crosses a link.
double busbw_factor(Collective c, int ranks);

// S in bytes for `count` elements of `element_bytes` per rank as NCCL's API takes them
// (all-gather: sendcount; reduce-scatter: recvcount; all-to-all: count per peer).
double collective_message_bytes(Collective c, std::int64_t count, int ranks, int element_bytes);
// The count NCCL's API takes for a message of (at most) `bytes`; 0 when too small for `ranks`.
std::int64_t collective_count_for_bytes(Collective c, double bytes, int ranks, int element_bytes);

// Point-to-point steps of the ring (pairwise for all-to-all) algorithm: each step pays one link
// latency (Thakur et al. 2005): 2(n-1) all-reduce, n-1 all-gather, reduce-scatter, all-to-all,
// 1 send/recv.
int collective_steps(Collective c, int ranks);

}  // namespace ptsim
