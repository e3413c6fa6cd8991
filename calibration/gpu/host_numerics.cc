#include "calibration/gpu/host_numerics.h"

#include <algorithm>

#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

std::vector<std::int64_t> sample_positions(std::int64_t count, std::int64_t samples,
                                           std::uint64_t seed) {
  std::vector<std::int64_t> out;
  if (count <= 0) return out;
  if (count <= samples) {
    out.resize(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
      out[static_cast<std::size_t>(i)] = i;
    return out;
  }
  out.push_back(0);
  out.push_back(count - 1);
  for (std::int64_t i = 0; static_cast<std::int64_t>(out.size()) < samples; ++i) {
    out.push_back(static_cast<std::int64_t>(mix64(seed + static_cast<std::uint64_t>(i)) %
                                            static_cast<std::uint64_t>(count)));
    if (i > 4 * samples) break;  // duplicates only; cannot loop forever
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ptsim::gpu
