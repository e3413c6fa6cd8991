// The one random-number source. std::mt19937_64's output sequence is specified by the standard;
// the distributions below are our own because std::uniform_*_distribution may differ between
// standard libraries (SimGrid's XbtRandom rationale). Seeded explicitly, passed down explicitly.
#pragma once

#include <cstdint>
#include <random>

#include "common/check.h"

namespace ptsim {

class Rng {
 public:
  static constexpr std::uint64_t kDefaultSeed = 20241124;
  explicit Rng(std::uint64_t seed = kDefaultSeed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }

  // Uniform integer in [lo, hi] by rejection (no modulo bias).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    PTSIM_CHECK(lo <= hi, "uniform_int: empty range");
    const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<std::int64_t>(engine_());  // full 64-bit range
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    std::uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return lo + static_cast<std::int64_t>(x % span);
  }

  template <class Container>
  const auto& pick(const Container& c) {
    PTSIM_CHECK(!c.empty(), "pick from empty container");
    return c[static_cast<std::size_t>(uniform_int(0, static_cast<std::int64_t>(c.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace ptsim
