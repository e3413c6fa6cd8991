#include "calibration/collective.h"

#include <array>
#include <cmath>

namespace ptsim {

namespace {
constexpr std::array<const char*, kCollectiveCount> kNames = {
    "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "send_recv"};

// Collectives whose S counts every rank's share (nccl-tests' S = count * n * sizeof).
bool message_spans_ranks(Collective c) {
  return c == Collective::all_gather || c == Collective::reduce_scatter ||
         c == Collective::all_to_all;
}
}  // namespace

const char* collective_name(Collective c) {
  return kNames[static_cast<std::size_t>(c)];
}

Result<Collective> parse_collective(const std::string& name, const std::string& source,
                                    const std::string& field) {
  for (int i = 0; i < kCollectiveCount; ++i) {
    if (name == kNames[static_cast<std::size_t>(i)]) return static_cast<Collective>(i);
  }
  return InputError{source, field,
                    "unknown collective '" + name +
                        "' (all_reduce, all_gather, reduce_scatter, all_to_all, send_recv)"};
}

double busbw_factor(Collective c, int ranks) {
  PTSIM_CHECK(ranks >= 1, "busbw_factor: ranks must be positive");
  const double n = ranks;
  switch (c) {
    case Collective::all_reduce:
      return 2.0 * (n - 1.0) / n;
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::all_to_all:
      return (n - 1.0) / n;
    case Collective::send_recv:
      return 1.0;
  }
  return 0;
}

double collective_message_bytes(Collective c, std::int64_t count, int ranks, int element_bytes) {
  const double per_rank = static_cast<double>(count) * element_bytes;
  return message_spans_ranks(c) ? per_rank * ranks : per_rank;
}

std::int64_t collective_count_for_bytes(Collective c, double bytes, int ranks, int element_bytes) {
  const double divisor = message_spans_ranks(c) ? static_cast<double>(element_bytes) * ranks
                                                : static_cast<double>(element_bytes);
  return static_cast<std::int64_t>(std::floor(bytes / divisor));
}

int collective_steps(Collective c, int ranks) {
  switch (c) {
    case Collective::all_reduce:
      return 2 * (ranks - 1);
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::all_to_all:
      return ranks - 1;
    case Collective::send_recv:
      return 1;
  }
  return 0;
}

}  // namespace ptsim
