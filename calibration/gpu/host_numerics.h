// Host-side helpers for checking GPU outputs: bf16 rounding exactly as the GPU's
// round-to-nearest-even conversion does it, tolerances in bf16 units, and the sampled positions a
// check looks at when checking every element would cost more than the benchmark.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ptsim::gpu {

inline std::uint16_t float_to_bf16_bits(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<std::uint16_t>(u >> 16);
}

inline float bf16_bits_to_float(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

inline float round_to_bf16(float f) {
  return bf16_bits_to_float(float_to_bf16_bits(f));
}

// One unit in the last place of a bf16 value of magnitude |x| (8 significant bits).
inline double bf16_ulp(double x) {
  const double a = std::abs(x);
  if (a < 1e-30) return 1e-30;
  return std::ldexp(1.0, std::ilogb(a) - 7);
}

// Up to `samples` distinct positions in [0, count), always including 0 and count - 1, from a
// seeded splitmix sequence; every position when count <= samples. Sorted.
std::vector<std::int64_t> sample_positions(std::int64_t count, std::int64_t samples,
                                           std::uint64_t seed);

}  // namespace ptsim::gpu
