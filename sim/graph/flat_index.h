// An open-addressing hash index from a 64-bit hash to a dense value index, for interning: the
// caller confirms a candidate by comparing the stored value itself. No node allocations, so
// interning in the graph builder's hot loop costs a probe or two. Private to sim/graph.
#pragma once

#include <cstdint>
#include <vector>

namespace ptsim::detail {

class FlatIndex {
 public:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  // Calls same(index) for each stored index whose hash matches; returns the first index for which
  // it is true, or kEmpty.
  template <class Same>
  std::uint32_t find(std::uint64_t hash, Same&& same) const {
    if (slots_.empty()) return kEmpty;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index == kEmpty) return kEmpty;
      if (s.hash == hash && same(s.index)) return s.index;
    }
  }

  void insert(std::uint64_t hash, std::uint32_t index) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    place(hash, index);
    ++count_;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t index = kEmpty;
  };

  void place(std::uint64_t hash, std::uint32_t index) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].index != kEmpty)
      i = (i + 1) & mask;
    slots_[i] = Slot{hash, index};
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.index != kEmpty) place(s.hash, s.index);
    }
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

// A 64-bit mix (splitmix64 finaliser) for building hashes from fields.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace ptsim::detail
