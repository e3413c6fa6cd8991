// Bandwidth sharing between concurrent flows on links: SimGrid's Model contract for the network.
//
// Models: each Flow moves a number of bytes across a set of links; each link use carries a weight w
// (the flow consumes w x rate there: a ring step that crosses the link on h hops has w = h, a
// reduced-graph flow standing for r identical flows has w = r). Rates are the weighted max-min fair
// allocation computed by progressive filling (Bertsekas & Gallager, Data Networks, 2nd ed.,
// section 6.5.2; SimGrid's lmm solver with unit sharing penalties, Velho et al., TOMACS 2013):
// every unfixed flow's rate rises at the same pace; a shared link saturates when
// sum(w x rate) = capacity, and every flow crossing it is fixed at the current level; a flow also
// stops at its own rate bound. Rates change only when a flow starts or ends, so between those
// instants every flow progresses linearly.
//
// Worked example (tests/network/link_sharing_test.cc,
// UnitLinkSharing.TextbookThreeFlowsOnTwoLinks): links A (10 GB/s) and B (4 GB/s); flow 1 uses A,
// flow 2 uses A and B, flow 3 uses B. B saturates first at 4/2 = 2 GB/s, fixing flows 2 and 3 at 2
// GB/s; A then has 10 - 2 = 8 GB/s left for flow 1.
//
// Leaves out: latency (the caller adds route latency before or after the transfer), TCP/RDMA
// congestion-control dynamics, packet-level effects (see CALIBRATION_NOTES 3.7 for the tiers), and
// SimGrid's non-linear bandwidth factors (collective efficiency curves live in cost_models/).
// Validated by: tests/network/link_sharing_test.cc (closed forms: one flow, equal sharing, the
// textbook example, weights, fat pipes, bounds, piecewise re-sharing, processor-sharing finish
// times) and tests/network/link_sharing_property_test.cc (feasibility, the max-min bottleneck
// condition and byte conservation on random flow sets; incremental = full bit for bit).
//
// Rates are solved lazily: start_flow() and finish_due() only mark the allocation stale, and the
// next query (advance, next_completion_s, rate_bytes_per_s, remaining_bytes) recomputes it, once,
// at the time of the change. A collective that starts a thousand flows at one instant costs one
// solve, not a thousand. The solved state is therefore `mutable` behind const queries.
//
// Solves are incremental by default: only the flows connected to a started or ended flow through
// shared links (transitively) are re-solved, in the same order and with the same arithmetic as a
// full solve, so results are bit-identical (PropertyLinkSharing.IncrementalAndFullRecompute...).
// It pays (tools/bench_network, churn on a 4096-GPU fat tree, one event = one flow ends and one
// starts): ring traffic (DP rings per rail, TP rings per node) costs about 0.3 us per event
// instead of 43 us with 1024 flows and 430 us with 8192; random traffic that forms one giant
// component falls back to a full solve once the search passes half the active flows (then about
// 10-20% slower than full, from the abandoned search).
//
// Completion: a flow's finish time is fixed when its rate is set (now + remaining / rate) and
// kept in a min-heap; next_completion_s() is the minimum, so finish_due(next_completion_s())
// removes at least that flow: no flow can get stuck on a remainder of rounding bytes. A flow counts
// as done when its finish time is within kFinishRelativeSlack of now (relative), so it never
// finishes earlier than that rounding allowance, and symmetric flows whose finish times differ by
// rounding complete together.
//
// Ids: FlowId carries a slot index and a generation. Slots of finished flows are reused, so an
// index is dense (< max concurrent flows) and can key a caller's vector; the generation makes any
// use of a finished flow's id a detected bug (PTSIM_CHECK) rather than a silent alias.
// Determinism: flows are solved and reported in slot and start order; nothing iterates an
// unordered container.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace ptsim {

// How a link divides its capacity, documented in the manner of SimGrid's Link::SharingPolicy.
// A full-duplex cable is two directed links (the topology builds both directions), which is what
// SimGrid calls SPLITDUPLEX.
enum class SharingPolicy : std::uint8_t {
  // The flows crossing the link share its capacity: sum over flows of weight x rate <= capacity.
  shared,
  // The link never limits the aggregate, only each flow on its own: weight x rate <= capacity for
  // every flow, without sharing (a non-blocking switch backplane, a PCIe path that is never the
  // bottleneck). Capacity may be +infinity, which constrains nothing.
  fat_pipe,
};

const char* sharing_policy_name(SharingPolicy policy);

struct LinkId {
  std::uint32_t value = 0;
  friend auto operator<=>(const LinkId&, const LinkId&) = default;
};

struct FlowId {
  std::uint32_t index = 0;       // dense slot number, reused after the flow finishes
  std::uint32_t generation = 0;  // distinguishes successive flows in one slot
  friend auto operator<=>(const FlowId&, const FlowId&) = default;
};

// A flow consumes weight x rate on `link`.
struct LinkUse {
  LinkId link;
  double weight = 1;
};

class LinkSharing {
 public:
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();
  // A flow whose finish time is at most now_s x (1 + kFinishRelativeSlack) is done at now_s.
  static constexpr double kFinishRelativeSlack = 1e-12;

  // Which flows a solve revisits. `incremental` re-solves only the flows connected (through shared
  // links, transitively) to the flows that started or ended; the others keep their rates, which
  // max-min fairness leaves unchanged. `full` re-solves every active flow. Both give bit-identical
  // rates and finish times (tests/network/link_sharing_property_test.cc); `full` exists as the
  // reference for that test and for benchmarks.
  enum class Recompute : std::uint8_t { incremental, full };

  explicit LinkSharing(Recompute recompute = Recompute::incremental) : recompute_(recompute) {}

  // Capacity must be positive; +infinity is allowed (such a link never constrains). Ids are
  // consecutive from 0 in the order links are added.
  LinkId add_link(double capacity_bytes_per_s, SharingPolicy policy);
  // Drops every flow and sets the clock back to 0, keeping the links and the memory already
  // allocated, so one instance can serve many simulations (a planner's candidates) on one fabric.
  // A rerun then behaves exactly as on a new instance; ids from before the reset are inactive.
  void reset();
  std::size_t link_count() const { return links_.size(); }
  double capacity_bytes_per_s(LinkId link) const;
  SharingPolicy policy(LinkId link) const;

  // Starts a flow of `bytes` at now_s (which must not be before the last time seen). A link listed
  // twice counts with the sum of its weights. Weights must be positive and finite; the rate bound
  // positive (+infinity for none). A flow with no constraining link and no bound gets an infinite
  // rate and finishes at now_s, as does a flow of zero bytes.
  FlowId start_flow(double now_s, std::span<const LinkUse> uses, double bytes,
                    double rate_bound_bytes_per_s = kInfinity);

  // Progresses every flow to now_s at its current rate (now_s must not go back in time). Flows
  // keep their share until finish_due() removes them.
  void advance(double now_s);

  // Earliest finish time of an active flow at the current rates; +infinity when none is active.
  double next_completion_s() const;

  // Advances to now_s, then removes and returns the flows that are done at now_s, in start order.
  std::vector<FlowId> finish_due(double now_s);

  double rate_bytes_per_s(FlowId flow) const;
  double remaining_bytes(FlowId flow) const;  // at the last time seen (now_s())
  bool active(FlowId flow) const;
  std::size_t active_flows() const { return active_count_; }
  double now_s() const { return now_s_; }

  // Sum over active flows of weight x rate on the link (bytes/s); for fat_pipe links the sum is
  // reported although the policy does not bound it.
  double load_bytes_per_s(LinkId link) const;
  // Active flows constrained by a shared link (0 for fat pipes and links no flow uses).
  std::size_t flows_on(LinkId link) const { return link_flows_[link.value].size(); }

  // How many times the allocation has been solved, and how many flows those solves visited in
  // all (for benchmarks and tests of laziness and incrementality).
  std::uint64_t solves() const { return solves_; }
  std::uint64_t solved_flows() const { return solved_flows_; }

 private:
  struct Link {
    double capacity_bytes_per_s;
    SharingPolicy policy;
  };

  struct Flow {
    std::vector<LinkUse> constraints;      // merged uses of shared links with finite capacity
    std::vector<std::uint32_t> positions;  // index of this flow in link_flows_ per constraint
    std::vector<LinkUse> uses;             // every use as given (merged), for load reporting
    double bound_bytes_per_s = kInfinity;  // rate bound and fat_pipe limits combined
    double bytes = 0;
    std::uint64_t start_seq = 0;
    std::uint32_t generation = 0;
    bool active = false;
  };

  // The solved state of one flow: remaining bytes at settled_s, the rate since settled_s, and the
  // finish time at that rate.
  struct Progress {
    double settled_bytes = 0;
    double settled_s = 0;
    double rate_bytes_per_s = 0;
    double finish_s = 0;
    std::uint32_t finish_version = 0;  // bumped whenever finish_s changes or the flow ends
  };

  // Min-heap entry of finish times; valid while the flow's finish_version still matches (stale
  // entries are dropped when they reach the top, and the heap is rebuilt when they pile up).
  struct FinishEntry {
    double finish_s;
    std::uint32_t slot;
    std::uint32_t version;
  };

  const Flow& checked_flow(FlowId flow) const;
  void ensure_solved() const;
  // Collects the flows to re-solve (sorted by slot) into solve_flows_; false when a full solve is
  // the better choice.
  bool collect_dirty_component() const;
  // Progressive filling over solve_flows_, which must be closed under sharing a constraint link.
  void solve(std::span<const std::uint32_t> flows) const;  // in link_sharing_solve.cc
  double remaining_at(const Progress& p, double time_s) const;
  void set_finish(std::uint32_t slot, double finish_s) const;
  static bool finishes_later(const FinishEntry& a, const FinishEntry& b);  // heap order
  // Drops invalid entries from the top of finish_heap_.
  void settle_finish_heap() const;
  void rebuild_finish_heap_if_bloated() const;

  Recompute recompute_;
  std::vector<Link> links_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_slots_;  // last freed, first reused
  // Active flows per link with a constraint on it, for finding connected components.
  std::vector<std::vector<std::uint32_t>> link_flows_;
  std::size_t active_count_ = 0;
  std::uint64_t next_start_seq_ = 0;
  double now_s_ = 0;

  // Lazily solved state (written behind const queries).
  mutable std::vector<Progress> progress_;  // parallel to flows_
  mutable std::vector<FinishEntry> finish_heap_;
  mutable std::vector<std::uint32_t> dirty_links_;  // constraint links of flows that started/ended
  mutable std::vector<std::uint32_t> dirty_flows_;  // started flows without constraint links
  mutable bool stale_ = false;
  mutable std::uint64_t solves_ = 0;
  mutable std::uint64_t solved_flows_ = 0;

  // Solver scratch, kept between solves to avoid reallocation.
  struct LinkScratch {
    double remaining_bytes_per_s = 0;
    double unfixed_weight = 0;
    double share_bytes_per_s = 0;
    std::uint32_t unfixed_flows = 0;
    std::uint32_t first_use = 0;  // offset into use_flow_ / use_weight_
    std::uint32_t use_count = 0;
    std::uint64_t stamp = 0;
  };
  mutable std::vector<LinkScratch> link_scratch_;
  mutable std::vector<std::uint64_t> flow_stamp_;
  mutable std::uint64_t stamp_ = 0;
  mutable std::vector<std::uint32_t> solve_flows_;
  mutable std::vector<std::uint32_t> touched_links_;
  mutable std::vector<std::uint32_t> use_flow_;
  mutable std::vector<double> use_weight_;
  mutable std::vector<std::pair<double, std::uint32_t>> share_heap_;  // (share, link)
  mutable std::vector<std::pair<double, std::uint32_t>> bounded_;     // (bound, flow slot)
  mutable std::vector<double> new_rate_;
  mutable std::vector<double> solve_bound_;  // per flow slot: own bound in the current solve
};

}  // namespace ptsim
