#include "sim/network/link_dominance.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <utility>

#include "common/check.h"

namespace ptsim {

namespace {

// One entry of a link's signature: which phase crosses it, with what weight.
struct Crossing {
  std::uint32_t phase;
  double weight;
  friend bool operator==(const Crossing&, const Crossing&) = default;
  friend bool operator<(const Crossing& a, const Crossing& b) {
    return a.phase != b.phase ? a.phase < b.phase : a.weight < b.weight;
  }
};

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

}  // namespace

std::vector<char> dominated_links(std::span<const std::span<const LinkUse>> phases,
                                  std::span<const double> capacity_bytes_per_s,
                                  std::span<const char> eligible) {
  const std::size_t links = capacity_bytes_per_s.size();
  PTSIM_CHECK(eligible.size() == links, "dominated_links: one eligibility flag per link");
  // Signatures as compressed rows: phases are visited in order, so each row is sorted by phase.
  std::vector<std::uint32_t> offsets(links + 1, 0);
  for (const auto& uses : phases) {
    for (const LinkUse& use : uses) {
      PTSIM_CHECK(use.link.value < links, "dominated_links: link id out of range");
      ++offsets[use.link.value + 1];
    }
  }
  for (std::size_t l = 0; l < links; ++l)
    offsets[l + 1] += offsets[l];
  std::vector<Crossing> rows(offsets[links]);
  std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
  std::vector<std::uint64_t> hash(links, 0);
  for (std::uint32_t p = 0; p < phases.size(); ++p) {
    for (const LinkUse& use : phases[p]) {
      const std::uint32_t l = use.link.value;
      rows[fill[l]++] = Crossing{p, use.weight};
      std::uint64_t bits;
      std::memcpy(&bits, &use.weight, sizeof bits);
      hash[l] = mix(mix(hash[l], p), bits);
    }
  }
  const auto row = [&](std::uint32_t l) {
    return std::span<const Crossing>(rows.data() + offsets[l], offsets[l + 1] - offsets[l]);
  };

  std::vector<std::uint32_t> candidates;
  for (std::uint32_t l = 0; l < links; ++l) {
    if (eligible[l] && offsets[l + 1] > offsets[l]) candidates.push_back(l);
  }
  // Equal signatures become adjacent, each class led by its smallest capacity, then lowest id.
  std::sort(candidates.begin(), candidates.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (hash[a] != hash[b]) return hash[a] < hash[b];
    const auto ra = row(a);
    const auto rb = row(b);
    if (!std::equal(ra.begin(), ra.end(), rb.begin(), rb.end())) {
      return std::lexicographical_compare(ra.begin(), ra.end(), rb.begin(), rb.end());
    }
    if (capacity_bytes_per_s[a] != capacity_bytes_per_s[b])
      return capacity_bytes_per_s[a] < capacity_bytes_per_s[b];
    return a < b;
  });
  std::vector<char> dominated(links, 0);
  for (std::size_t i = 1; i < candidates.size(); ++i) {
    const std::uint32_t a = candidates[i - 1];
    const std::uint32_t b = candidates[i];
    if (hash[a] != hash[b]) continue;
    const auto ra = row(a);
    const auto rb = row(b);
    if (std::equal(ra.begin(), ra.end(), rb.begin(), rb.end())) dominated[b] = 1;
  }
  return dominated;
}

}  // namespace ptsim
