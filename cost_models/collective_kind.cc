#include "cost_models/collective_kind.h"

namespace ptsim {

const char* collective_kind_name(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::all_reduce:
      return "all_reduce";
    case CollectiveKind::all_gather:
      return "all_gather";
    case CollectiveKind::reduce_scatter:
      return "reduce_scatter";
    case CollectiveKind::all_to_all:
      return "all_to_all";
    case CollectiveKind::broadcast:
      return "broadcast";
    case CollectiveKind::ring_shift:
      return "ring_shift";
  }
  return "?";
}
double wire_bytes_per_rank(CollectiveKind k, int n, double s) {
  if (n <= 1) return 0;
  const double f = static_cast<double>(n - 1) / n;
  switch (k) {
    case CollectiveKind::all_reduce:
      return 2 * f * s;
    case CollectiveKind::all_gather:
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::all_to_all:
      return f * s;
    case CollectiveKind::broadcast:
    case CollectiveKind::ring_shift:
      return s;
  }
  return 0;
}

double domain_hit_probability(const DomainDedup& d, double domain_slots) {
  // Product form of the binomial ratio: prod_{i<copies} (slots - domain_slots - i) / (slots - i).
  const double s = d.slots;
  double miss = 1.0;
  for (std::uint32_t i = 0; i < d.copies; ++i) {
    const double left = s - domain_slots - i;
    if (left <= 0) return 1.0;
    miss *= left / (s - i);
  }
  return 1.0 - miss;
}

}  // namespace ptsim
