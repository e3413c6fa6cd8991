#include "sim/network/link_sharing.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/check.h"

namespace ptsim {

const char* sharing_policy_name(SharingPolicy policy) {
  switch (policy) {
    case SharingPolicy::shared:
      return "shared";
    case SharingPolicy::fat_pipe:
      return "fat_pipe";
  }
  return "?";
}

LinkId LinkSharing::add_link(double capacity_bytes_per_s, SharingPolicy policy) {
  PTSIM_CHECK(capacity_bytes_per_s > 0 && !std::isnan(capacity_bytes_per_s),
              "add_link: capacity must be positive (+infinity allowed)");
  PTSIM_CHECK(links_.size() < UINT32_MAX, "add_link: too many links");
  links_.push_back(Link{capacity_bytes_per_s, policy});
  return LinkId{static_cast<std::uint32_t>(links_.size() - 1)};
}

double LinkSharing::capacity_bytes_per_s(LinkId link) const {
  PTSIM_CHECK(link.value < links_.size(), "unknown link");
  return links_[link.value].capacity_bytes_per_s;
}

SharingPolicy LinkSharing::policy(LinkId link) const {
  PTSIM_CHECK(link.value < links_.size(), "unknown link");
  return links_[link.value].policy;
}

FlowId LinkSharing::start_flow(double now_s, std::span<const LinkUse> uses, double bytes,
                               double rate_bound_bytes_per_s) {
  PTSIM_CHECK(std::isfinite(bytes) && bytes >= 0, "start_flow: bytes must be finite, >= 0");
  PTSIM_CHECK(rate_bound_bytes_per_s > 0 && !std::isnan(rate_bound_bytes_per_s),
              "start_flow: rate bound must be positive (+infinity for none)");
  advance(now_s);

  std::uint32_t slot;
  if (free_slots_.empty()) {
    PTSIM_CHECK(flows_.size() < UINT32_MAX, "start_flow: too many concurrent flows");
    slot = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
    progress_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Flow& flow = flows_[slot];
  flow.uses.assign(uses.begin(), uses.end());
  for (const LinkUse& use : flow.uses) {
    PTSIM_CHECK(use.link.value < links_.size(), "start_flow: unknown link");
    PTSIM_CHECK(std::isfinite(use.weight) && use.weight > 0,
                "start_flow: link weight must be finite and positive");
  }
  // Merge repeated links (sorted by id, so the solver visits them in a fixed order).
  std::sort(flow.uses.begin(), flow.uses.end(),
            [](const LinkUse& a, const LinkUse& b) { return a.link < b.link; });
  std::size_t merged = 0;
  for (std::size_t i = 0; i < flow.uses.size(); ++i) {
    if (merged > 0 && flow.uses[merged - 1].link == flow.uses[i].link) {
      flow.uses[merged - 1].weight += flow.uses[i].weight;
    } else {
      flow.uses[merged++] = flow.uses[i];
    }
  }
  flow.uses.resize(merged);

  flow.constraints.clear();
  flow.bound_bytes_per_s = rate_bound_bytes_per_s;
  for (const LinkUse& use : flow.uses) {
    const Link& link = links_[use.link.value];
    if (link.policy == SharingPolicy::fat_pipe) {
      flow.bound_bytes_per_s =
          std::min(flow.bound_bytes_per_s, link.capacity_bytes_per_s / use.weight);
    } else if (std::isfinite(link.capacity_bytes_per_s)) {
      flow.constraints.push_back(use);
    }
  }
  flow.bytes = bytes;
  flow.start_seq = next_start_seq_++;
  flow.active = true;
  progress_[slot] = Progress{bytes, now_s_, 0, kInfinity};
  ++active_count_;
  stale_ = true;
  return FlowId{slot, flow.generation};
}

void LinkSharing::advance(double now_s) {
  PTSIM_CHECK(std::isfinite(now_s) && now_s >= now_s_, "advance: time must not go back");
  if (now_s == now_s_) return;  // nothing moves: more starts or ends at this instant may follow
  // The allocation in force from now_s_ on is the one for the current set of flows.
  ensure_solved();
  now_s_ = now_s;
}

double LinkSharing::next_completion_s() const {
  ensure_solved();
  double earliest = kInfinity;
  for (std::size_t slot = 0; slot < flows_.size(); ++slot) {
    if (flows_[slot].active) earliest = std::min(earliest, progress_[slot].finish_s);
  }
  return earliest;
}

std::vector<FlowId> LinkSharing::finish_due(double now_s) {
  advance(now_s);
  ensure_solved();
  const double due_s = now_s_ + kFinishRelativeSlack * now_s_;
  std::vector<std::uint32_t> done;
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (flows_[slot].active && progress_[slot].finish_s <= due_s) done.push_back(slot);
  }
  std::sort(done.begin(), done.end(), [this](std::uint32_t a, std::uint32_t b) {
    return flows_[a].start_seq < flows_[b].start_seq;
  });
  std::vector<FlowId> finished;
  finished.reserve(done.size());
  for (std::uint32_t slot : done) {
    Flow& flow = flows_[slot];
    finished.push_back(FlowId{slot, flow.generation});
    flow.active = false;
    ++flow.generation;
    free_slots_.push_back(slot);
    --active_count_;
    stale_ = true;
  }
  return finished;
}

const LinkSharing::Flow& LinkSharing::checked_flow(FlowId flow) const {
  PTSIM_CHECK(flow.index < flows_.size() && flows_[flow.index].active &&
                  flows_[flow.index].generation == flow.generation,
              "flow id does not name an active flow");
  return flows_[flow.index];
}

bool LinkSharing::active(FlowId flow) const {
  return flow.index < flows_.size() && flows_[flow.index].active &&
         flows_[flow.index].generation == flow.generation;
}

double LinkSharing::rate_bytes_per_s(FlowId flow) const {
  checked_flow(flow);
  ensure_solved();
  return progress_[flow.index].rate_bytes_per_s;
}

double LinkSharing::remaining_bytes(FlowId flow) const {
  checked_flow(flow);
  ensure_solved();
  return remaining_at(progress_[flow.index], now_s_);
}

double LinkSharing::load_bytes_per_s(LinkId link) const {
  PTSIM_CHECK(link.value < links_.size(), "unknown link");
  ensure_solved();
  double load = 0;
  for (std::size_t slot = 0; slot < flows_.size(); ++slot) {
    if (!flows_[slot].active) continue;
    for (const LinkUse& use : flows_[slot].uses) {
      if (use.link == link) load += use.weight * progress_[slot].rate_bytes_per_s;
    }
  }
  return load;
}

double LinkSharing::remaining_at(const Progress& p, double time_s) const {
  if (std::isinf(p.rate_bytes_per_s)) return 0;
  return std::max(0.0, p.settled_bytes - p.rate_bytes_per_s * (time_s - p.settled_s));
}

void LinkSharing::ensure_solved() const {
  if (!stale_) return;
  solve();
  stale_ = false;
}

// Progressive filling. All unfixed flows share one rising level; a shared link's fair share is
// (capacity left) / (weight of its unfixed flows). The link with the smallest share saturates
// next and fixes its unfixed flows at that share; a flow whose bound is below every share is fixed
// at its bound. Fixing a flow at the current level can only raise the share of the other links it
// crosses (the level is at most their share), so a min-heap of shares with stale entries skipped
// visits links in the right order: O(U log L) for U link uses over L touched links.
void LinkSharing::solve() const {
  ++solves_;
  const std::uint64_t stamp = ++stamp_;
  link_scratch_.resize(links_.size());
  new_rate_.resize(flows_.size());
  fixed_stamp_.resize(flows_.size());
  touched_links_.clear();

  // Per link: the unfixed weight and the list of (flow, weight) crossing it, as compressed rows.
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (!flows_[slot].active) continue;
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
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (!flows_[slot].active) continue;
    for (const LinkUse& use : flows_[slot].constraints) {
      LinkScratch& ls = link_scratch_[use.link.value];
      use_flow_[ls.first_use + ls.use_count] = slot;
      use_weight_[ls.first_use + ls.use_count] = use.weight;
      ++ls.use_count;
    }
  }

  // Min-heap of (share, link); ties go to the lower link id, which fixes the order of equal shares.
  using ShareEntry = std::pair<double, std::uint32_t>;
  share_heap_.clear();
  for (std::uint32_t link : touched_links_) {
    LinkScratch& ls = link_scratch_[link];
    ls.remaining_bytes_per_s = links_[link].capacity_bytes_per_s;
    ls.share_bytes_per_s = ls.remaining_bytes_per_s / ls.unfixed_weight;
    share_heap_.emplace_back(ls.share_bytes_per_s, link);
  }
  const auto heap_after = [](const ShareEntry& a, const ShareEntry& b) { return b < a; };
  std::make_heap(share_heap_.begin(), share_heap_.end(), heap_after);

  // Bounded flows in increasing bound (slot breaks ties).
  bounded_.clear();
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (flows_[slot].active && std::isfinite(flows_[slot].bound_bytes_per_s)) {
      bounded_.emplace_back(flows_[slot].bound_bytes_per_s, slot);
    }
  }
  std::sort(bounded_.begin(), bounded_.end());

  double level = 0;
  const auto fix = [&](std::uint32_t slot, double rate) {
    fixed_stamp_[slot] = stamp;
    new_rate_[slot] = rate;
    for (const LinkUse& use : flows_[slot].constraints) {
      LinkScratch& ls = link_scratch_[use.link.value];
      ls.remaining_bytes_per_s -= use.weight * rate;
      ls.unfixed_weight -= use.weight;
      if (--ls.unfixed_flows == 0) continue;
      PTSIM_CHECK(ls.unfixed_weight > 0, "max-min solve: unfixed weight lost to rounding");
      ls.share_bytes_per_s = std::max(ls.remaining_bytes_per_s, 0.0) / ls.unfixed_weight;
      share_heap_.emplace_back(ls.share_bytes_per_s, use.link.value);
      std::push_heap(share_heap_.begin(), share_heap_.end(), heap_after);
    }
  };

  std::size_t next_bound = 0;
  while (true) {
    while (!share_heap_.empty()) {
      const ShareEntry& top = share_heap_.front();
      const LinkScratch& ls = link_scratch_[top.second];
      if (ls.unfixed_flows > 0 && top.first == ls.share_bytes_per_s) break;
      std::pop_heap(share_heap_.begin(), share_heap_.end(), heap_after);
      share_heap_.pop_back();
    }
    while (next_bound < bounded_.size() && fixed_stamp_[bounded_[next_bound].second] == stamp) {
      ++next_bound;
    }
    const bool have_link = !share_heap_.empty();
    const bool have_bound = next_bound < bounded_.size();
    if (!have_link && !have_bound) break;
    if (have_bound && (!have_link || bounded_[next_bound].first <= share_heap_.front().first)) {
      const auto [bound, slot] = bounded_[next_bound++];
      level = std::max(level, bound);
      fix(slot, bound);
      continue;
    }
    const std::uint32_t link = share_heap_.front().second;
    std::pop_heap(share_heap_.begin(), share_heap_.end(), heap_after);
    share_heap_.pop_back();
    // Rounding can leave a later share a few ulps under the level reached; rates never go down
    // along the filling, so the level is kept (the overshoot is of rounding size).
    LinkScratch& ls = link_scratch_[link];
    level = std::max(level, ls.share_bytes_per_s);
    const std::uint32_t end = ls.first_use + ls.use_count;
    for (std::uint32_t u = ls.first_use; u < end && ls.unfixed_flows > 0; ++u) {
      if (fixed_stamp_[use_flow_[u]] != stamp) fix(use_flow_[u], level);
    }
  }

  // Flows that changed rate are settled at now_s_ and get a new finish time; the others keep
  // theirs, so an unrelated start or end never perturbs a flow's finish time by rounding.
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (!flows_[slot].active) continue;
    Progress& p = progress_[slot];
    const double rate = new_rate_[slot];
    if (rate == p.rate_bytes_per_s) continue;
    p.settled_bytes = remaining_at(p, now_s_);
    p.settled_s = now_s_;
    p.rate_bytes_per_s = rate;
    p.finish_s = std::isinf(rate) ? now_s_ : now_s_ + p.settled_bytes / rate;
  }
}

}  // namespace ptsim
