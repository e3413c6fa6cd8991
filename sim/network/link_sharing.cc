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
  link_flows_.emplace_back();
  return LinkId{static_cast<std::uint32_t>(links_.size() - 1)};
}

void LinkSharing::reset() {
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    Flow& flow = flows_[slot];
    if (!flow.active) continue;
    for (const LinkUse& use : flow.constraints)
      link_flows_[use.link.value].clear();
    flow.active = false;
    ++flow.generation;
    ++progress_[slot].finish_version;
  }
  // Lowest slot first, as in a new instance, so a rerun assigns the same slots.
  free_slots_.clear();
  for (std::size_t slot = flows_.size(); slot-- > 0;) {
    free_slots_.push_back(static_cast<std::uint32_t>(slot));
  }
  finish_heap_.clear();
  dirty_links_.clear();
  dirty_flows_.clear();
  stale_ = false;
  active_count_ = 0;
  next_start_seq_ = 0;
  now_s_ = 0;
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
    flow_stamp_.push_back(0);
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
  // Merge repeated links (sorted by id, so the solver visits them in a fixed order). Callers
  // usually pass uses already sorted and merged (collective plans are), and then sorting is
  // skipped.
  const auto by_link = [](const LinkUse& a, const LinkUse& b) { return a.link < b.link; };
  if (!std::is_sorted(flow.uses.begin(), flow.uses.end(), by_link))
    std::sort(flow.uses.begin(), flow.uses.end(), by_link);
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
  flow.positions.clear();
  for (const LinkUse& use : flow.constraints) {
    std::vector<std::uint32_t>& on_link = link_flows_[use.link.value];
    flow.positions.push_back(static_cast<std::uint32_t>(on_link.size()));
    on_link.push_back(slot);
    dirty_links_.push_back(use.link.value);
  }
  if (flow.constraints.empty()) dirty_flows_.push_back(slot);
  flow.bytes = bytes;
  flow.start_seq = next_start_seq_++;
  flow.active = true;
  Progress& progress = progress_[slot];
  progress.settled_bytes = bytes;
  progress.settled_s = now_s_;
  progress.rate_bytes_per_s = 0;  // no rate yet: the next solve gives one and a finish time
  progress.finish_s = kInfinity;
  ++progress.finish_version;
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
  settle_finish_heap();
  return finish_heap_.empty() ? kInfinity : finish_heap_.front().finish_s;
}

bool LinkSharing::finishes_later(const FinishEntry& a, const FinishEntry& b) {
  return a.finish_s > b.finish_s || (a.finish_s == b.finish_s && a.slot > b.slot);
}

void LinkSharing::set_finish(std::uint32_t slot, double finish_s) const {
  Progress& p = progress_[slot];
  p.finish_s = finish_s;
  ++p.finish_version;
  finish_heap_.push_back(FinishEntry{finish_s, slot, p.finish_version});
  std::push_heap(finish_heap_.begin(), finish_heap_.end(), finishes_later);
}

void LinkSharing::settle_finish_heap() const {
  while (!finish_heap_.empty()) {
    const FinishEntry& top = finish_heap_.front();
    if (flows_[top.slot].active && progress_[top.slot].finish_version == top.version) return;
    std::pop_heap(finish_heap_.begin(), finish_heap_.end(), finishes_later);
    finish_heap_.pop_back();
  }
}

void LinkSharing::rebuild_finish_heap_if_bloated() const {
  if (finish_heap_.size() <= 2 * active_count_ + 64) return;
  finish_heap_.clear();
  for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
    if (flows_[slot].active) {
      finish_heap_.push_back(
          FinishEntry{progress_[slot].finish_s, slot, progress_[slot].finish_version});
    }
  }
  std::make_heap(finish_heap_.begin(), finish_heap_.end(), finishes_later);
}

std::vector<FlowId> LinkSharing::finish_due(double now_s) {
  advance(now_s);
  ensure_solved();
  const double due_s = now_s_ + kFinishRelativeSlack * now_s_;
  std::vector<std::uint32_t> done;
  while (true) {
    settle_finish_heap();
    if (finish_heap_.empty() || finish_heap_.front().finish_s > due_s) break;
    done.push_back(finish_heap_.front().slot);
    std::pop_heap(finish_heap_.begin(), finish_heap_.end(), finishes_later);
    finish_heap_.pop_back();
  }
  std::sort(done.begin(), done.end(), [this](std::uint32_t a, std::uint32_t b) {
    return flows_[a].start_seq < flows_[b].start_seq;
  });
  std::vector<FlowId> finished;
  finished.reserve(done.size());
  for (std::uint32_t slot : done) {
    Flow& flow = flows_[slot];
    // Unlink from every constraint link: swap with the last flow there and fix its position.
    for (std::size_t i = 0; i < flow.constraints.size(); ++i) {
      const std::uint32_t link = flow.constraints[i].link.value;
      std::vector<std::uint32_t>& on_link = link_flows_[link];
      const std::uint32_t moved = on_link.back();
      on_link[flow.positions[i]] = moved;
      on_link.pop_back();
      if (moved != slot) {
        Flow& other = flows_[moved];
        for (std::size_t j = 0; j < other.constraints.size(); ++j) {
          if (other.constraints[j].link.value == link) other.positions[j] = flow.positions[i];
        }
      }
      dirty_links_.push_back(link);
    }
    finished.push_back(FlowId{slot, flow.generation});
    ++progress_[slot].finish_version;
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
  ++solves_;
  solve_flows_.clear();
  if (recompute_ == Recompute::full || !collect_dirty_component()) {
    solve_flows_.clear();
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
      if (flows_[slot].active) solve_flows_.push_back(slot);
    }
  }
  dirty_links_.clear();
  dirty_flows_.clear();
  solved_flows_ += solve_flows_.size();
  solve(solve_flows_);
  rebuild_finish_heap_if_bloated();
  stale_ = false;
}

// Breadth-first search from the links of the flows that started or ended, through the active flows
// on each link to their other links. Max-min rates of flows outside this closure do not depend on
// the change (they share no constraint with it, even transitively), so they are left as they are.
// Gives up (returns false) once the closure holds more than half the active flows: then a full
// solve is cheaper than finishing the search and sorting, and it gives the same rates, since every
// stored rate is exactly what a solve of its unchanged component produces again.
bool LinkSharing::collect_dirty_component() const {
  const std::size_t give_up_above = active_count_ / 2;
  const std::uint64_t stamp = ++stamp_;
  link_scratch_.resize(links_.size());
  std::vector<std::uint32_t>& queue = touched_links_;  // reused as the BFS queue
  queue.clear();
  for (std::uint32_t link : dirty_links_) {
    if (link_scratch_[link].stamp == stamp) continue;
    link_scratch_[link].stamp = stamp;
    queue.push_back(link);
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    for (std::uint32_t slot : link_flows_[queue[head]]) {
      if (flow_stamp_[slot] == stamp) continue;
      flow_stamp_[slot] = stamp;
      solve_flows_.push_back(slot);
      if (solve_flows_.size() > give_up_above) return false;
      for (const LinkUse& use : flows_[slot].constraints) {
        LinkScratch& ls = link_scratch_[use.link.value];
        if (ls.stamp == stamp) continue;
        ls.stamp = stamp;
        queue.push_back(use.link.value);
      }
    }
  }
  for (std::uint32_t slot : dirty_flows_) {
    if (flows_[slot].active && flow_stamp_[slot] != stamp) {
      flow_stamp_[slot] = stamp;
      solve_flows_.push_back(slot);
    }
  }
  // Slot order makes the solve's arithmetic identical to that of a full solve.
  std::sort(solve_flows_.begin(), solve_flows_.end());
  return true;
}

}  // namespace ptsim
