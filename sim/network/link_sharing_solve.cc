// The max-min solver of LinkSharing: weighted progressive filling (see link_sharing.h for the
// model, its sources and its tests).
#include <algorithm>
#include <cmath>
#include <utility>

#include "common/check.h"
#include "sim/network/link_sharing.h"

namespace ptsim {

// Progressive filling. All unfixed flows share one rising level; a shared link's fair share is
// (capacity left) / (weight of its unfixed flows). The link with the smallest share saturates next
// and fixes its unfixed flows at that share; a flow whose bound is at most every share is fixed at
// its bound. Fixing a flow at the current level can only raise the share of the other links it
// crosses (the level is at most their share), so a heap entry is a lower bound of its link's
// current share: fixing a flow just updates the shares, and a link whose entry reaches the top with
// an outdated share is re-keyed and pushed down again, after which the top is the true minimum.
// This keeps heap work near one pop per touched link (pushing on every update measured 1.6x
// slower); a solve costs O(U + L log L) for U link uses over L touched links, plus re-keys.
//
// Rounding: a recomputed share may come out a few ulps below the previous one although it cannot
// be smaller in exact arithmetic. Shares are therefore kept non-decreasing (max with the previous
// value), which keeps heap keys lower bounds, makes the sequence of fixing levels non-decreasing,
// and lets each connected component be solved alone with exactly the operations of a global solve.
void LinkSharing::solve(std::span<const std::uint32_t> flows) const {
  const std::uint64_t stamp = ++stamp_;
  link_scratch_.resize(links_.size());
  new_rate_.resize(flows_.size());
  solve_bound_.resize(flows_.size());
  touched_links_.clear();

  // Per link: the unfixed weight and the (flow, weight) pairs crossing it, as compressed rows in
  // slot order.
  for (std::uint32_t slot : flows) {
    new_rate_[slot] = kInfinity;
    for (const LinkUse& use : flows_[slot].constraints) {
      LinkScratch& ls = link_scratch_[use.link.value];
      if (ls.stamp != stamp) {
        ls = LinkScratch{};
        ls.stamp = stamp;
        touched_links_.push_back(use.link.value);
      }
      ++ls.use_count;
      ++ls.unfixed_flows;
      ls.unfixed_weight += use.weight;
    }
  }
  std::uint32_t offset = 0;
  for (std::uint32_t link : touched_links_) {
    LinkScratch& ls = link_scratch_[link];
    ls.first_use = offset;
    offset += ls.use_count;
    ls.use_count = 0;
  }
  use_flow_.resize(offset);
  use_weight_.resize(offset);
  for (std::uint32_t slot : flows) {
    for (const LinkUse& use : flows_[slot].constraints) {
      LinkScratch& ls = link_scratch_[use.link.value];
      use_flow_[ls.first_use + ls.use_count] = slot;
      use_weight_[ls.first_use + ls.use_count] = use.weight;
      ++ls.use_count;
    }
  }

  // Each flow's own bound: its rate bound and fat pipes, and every link it crosses alone in this
  // solve. A link with a single flow shares nothing, so capacity / weight is just a bound on that
  // flow; keeping such links (most NIC and NVLink ports under ring traffic) out of the heap
  // roughly halves a solve.
  for (std::uint32_t slot : flows)
    solve_bound_[slot] = flows_[slot].bound_bytes_per_s;
  // Min-heap of (share, link); ties go to the lower link id, which fixes the order of equal shares.
  using ShareEntry = std::pair<double, std::uint32_t>;
  share_heap_.clear();
  for (std::uint32_t link : touched_links_) {
    LinkScratch& ls = link_scratch_[link];
    ls.remaining_bytes_per_s = links_[link].capacity_bytes_per_s;
    ls.share_bytes_per_s = ls.remaining_bytes_per_s / ls.unfixed_weight;
    if (ls.unfixed_flows == 1) {
      double& bound = solve_bound_[use_flow_[ls.first_use]];
      bound = std::min(bound, ls.share_bytes_per_s);
    } else {
      share_heap_.emplace_back(ls.share_bytes_per_s, link);
    }
  }
  const auto heap_after = [](const ShareEntry& a, const ShareEntry& b) { return b < a; };
  std::make_heap(share_heap_.begin(), share_heap_.end(), heap_after);

  // Bounded flows in increasing bound (slot breaks ties).
  bounded_.clear();
  for (std::uint32_t slot : flows) {
    if (std::isfinite(solve_bound_[slot])) bounded_.emplace_back(solve_bound_[slot], slot);
  }
  std::sort(bounded_.begin(), bounded_.end());

  // The solver's "fixed" mark is the flow stamp of this solve.
  const auto fix = [&](std::uint32_t slot, double rate) {
    flow_stamp_[slot] = stamp;
    new_rate_[slot] = rate;
    for (const LinkUse& use : flows_[slot].constraints) {
      LinkScratch& ls = link_scratch_[use.link.value];
      ls.remaining_bytes_per_s -= use.weight * rate;
      ls.unfixed_weight -= use.weight;
      if (--ls.unfixed_flows == 0) continue;
      PTSIM_CHECK(ls.unfixed_weight > 0, "max-min solve: unfixed weight lost to rounding");
      ls.share_bytes_per_s = std::max(ls.share_bytes_per_s,
                                      std::max(ls.remaining_bytes_per_s, 0.0) / ls.unfixed_weight);
    }
  };

  std::size_t next_bound = 0;
  while (true) {
    // Settle the heap top: drop finished links, re-key links whose share moved since they were
    // pushed, until the top holds a link's current share.
    while (!share_heap_.empty()) {
      const auto [share, link] = share_heap_.front();
      const LinkScratch& ls = link_scratch_[link];
      if (ls.unfixed_flows > 0 && share == ls.share_bytes_per_s) break;
      std::pop_heap(share_heap_.begin(), share_heap_.end(), heap_after);
      if (ls.unfixed_flows > 0) {
        share_heap_.back().first = ls.share_bytes_per_s;
        std::push_heap(share_heap_.begin(), share_heap_.end(), heap_after);
      } else {
        share_heap_.pop_back();
      }
    }
    while (next_bound < bounded_.size() && flow_stamp_[bounded_[next_bound].second] == stamp) {
      ++next_bound;
    }
    const bool have_link = !share_heap_.empty();
    const bool have_bound = next_bound < bounded_.size();
    if (!have_link && !have_bound) break;
    if (have_bound && (!have_link || bounded_[next_bound].first <= share_heap_.front().first)) {
      const auto [bound, slot] = bounded_[next_bound++];
      fix(slot, bound);
      continue;
    }
    const std::uint32_t link = share_heap_.front().second;
    std::pop_heap(share_heap_.begin(), share_heap_.end(), heap_after);
    share_heap_.pop_back();
    LinkScratch& ls = link_scratch_[link];
    const double level = ls.share_bytes_per_s;
    const std::uint32_t end = ls.first_use + ls.use_count;
    for (std::uint32_t u = ls.first_use; u < end && ls.unfixed_flows > 0; ++u) {
      if (flow_stamp_[use_flow_[u]] != stamp) fix(use_flow_[u], level);
    }
  }

  // Flows whose rate changed are settled at now_s_ and get a new finish time; the others keep
  // theirs, so a start or end elsewhere never perturbs a finish time by rounding.
  for (std::uint32_t slot : flows) {
    Progress& p = progress_[slot];
    const double rate = new_rate_[slot];
    if (rate == p.rate_bytes_per_s) continue;
    p.settled_bytes = remaining_at(p, now_s_);
    p.settled_s = now_s_;
    p.rate_bytes_per_s = rate;
    set_finish(slot, std::isinf(rate) ? now_s_ : now_s_ + p.settled_bytes / rate);
  }
}

}  // namespace ptsim
