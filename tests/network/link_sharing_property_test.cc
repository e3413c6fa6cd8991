// Properties of the max-min allocation on random flow sets (fixed seeds):
//  * feasibility: no shared link carries more than its capacity, no flow exceeds its bound or a
//    fat pipe's per-flow limit (1e-9 relative: rounding of sums over up to a few hundred flows);
//  * optimality, the max-min bottleneck condition (Bertsekas & Gallager, Data Networks, section
//    6.5.2, with rates rising at one pace as in SimGrid's lmm): every flow is either at its own
//    bound or crosses a saturated shared link on which no flow has a higher rate;
//  * conservation: integrated over its lifetime, every flow's rate sums to its bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "common/rng.h"
#include "sim/network/link_sharing.h"

namespace ptsim {
namespace {

constexpr double kTol = 1e-9;

struct LinkSpec {
  double capacity_bytes_per_s;
  SharingPolicy policy;
};

struct FlowSpec {
  std::vector<LinkUse> uses;
  double bytes;
  double bound_bytes_per_s;
};

std::vector<LinkSpec> random_links(Rng& rng, int count) {
  std::vector<LinkSpec> links;
  for (int i = 0; i < count; ++i) {
    const bool fat = rng.uniform01() < 0.15;
    links.push_back(
        {rng.uniform(1e9, 100e9), fat ? SharingPolicy::fat_pipe : SharingPolicy::shared});
  }
  return links;
}

FlowSpec random_flow(Rng& rng, int link_count) {
  FlowSpec f;
  const int hops = static_cast<int>(rng.uniform_int(1, 5));
  for (int h = 0; h < hops; ++h) {
    const double weight = rng.uniform01() < 0.7 ? 1.0 : static_cast<double>(rng.uniform_int(2, 4));
    f.uses.push_back({LinkId{static_cast<std::uint32_t>(rng.uniform_int(0, link_count - 1))},
                      rng.uniform01() < 0.1 ? rng.uniform(0.5, 3.0) : weight});
  }
  f.bytes = rng.uniform(1e6, 1e9);
  f.bound_bytes_per_s = rng.uniform01() < 0.2 ? rng.uniform(0.5e9, 20e9) : LinkSharing::kInfinity;
  return f;
}

// Checks feasibility and the bottleneck condition for the active flows.
void check_max_min(const LinkSharing& s, const std::vector<LinkSpec>& links,
                   const std::map<FlowId, FlowSpec>& flows) {
  // Per link: load and the highest rate of any flow crossing it (from the specs, not the solver).
  std::vector<double> load(links.size(), 0.0);
  std::vector<double> max_rate(links.size(), 0.0);
  std::map<FlowId, std::map<std::uint32_t, double>> merged;  // flow -> link -> summed weight
  for (const auto& [id, spec] : flows) {
    const double r = s.rate_bytes_per_s(id);
    ASSERT_GT(r, 0);
    for (const LinkUse& u : spec.uses)
      merged[id][u.link.value] += u.weight;
    for (const auto& [link, w] : merged[id]) {
      load[link] += w * r;
      max_rate[link] = std::max(max_rate[link], r);
    }
  }
  for (std::size_t l = 0; l < links.size(); ++l) {
    if (links[l].policy == SharingPolicy::shared) {
      EXPECT_LE(load[l], links[l].capacity_bytes_per_s * (1 + kTol)) << "link " << l;
    }
  }
  for (const auto& [id, spec] : flows) {
    const double r = s.rate_bytes_per_s(id);
    double own_bound = spec.bound_bytes_per_s;
    for (const auto& [link, w] : merged[id]) {
      if (links[link].policy == SharingPolicy::fat_pipe) {
        own_bound = std::min(own_bound, links[link].capacity_bytes_per_s / w);
      }
    }
    EXPECT_LE(r, own_bound * (1 + kTol));
    if (r >= own_bound * (1 - kTol)) continue;  // limited by its own bound
    bool bottlenecked = false;
    for (const auto& [link, w] : merged[id]) {
      if (links[link].policy != SharingPolicy::shared) continue;
      const bool saturated = load[link] >= links[link].capacity_bytes_per_s * (1 - kTol);
      if (saturated && r >= max_rate[link] * (1 - kTol)) bottlenecked = true;
    }
    EXPECT_TRUE(bottlenecked) << "flow " << id.index << " at " << r
                              << " B/s has neither its bound nor a bottleneck link";
  }
}

TEST(PropertyLinkSharing, RandomFlowSetsAreFeasibleAndMaxMinOptimal) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    const int link_count = static_cast<int>(rng.uniform_int(3, 40));
    const auto links = random_links(rng, link_count);
    LinkSharing s;
    for (const LinkSpec& l : links)
      s.add_link(l.capacity_bytes_per_s, l.policy);
    std::map<FlowId, FlowSpec> flows;
    const int flow_count = static_cast<int>(rng.uniform_int(1, 300));
    for (int i = 0; i < flow_count; ++i) {
      FlowSpec f = random_flow(rng, link_count);
      flows.emplace(s.start_flow(0, f.uses, f.bytes, f.bound_bytes_per_s), std::move(f));
    }
    SCOPED_TRACE("seed " + std::to_string(seed));
    check_max_min(s, links, flows);
  }
}

TEST(PropertyLinkSharing, AllocationStaysOptimalAndFlowsConserveBytesThroughArrivalsAndEnds) {
  // Flows arrive at random times while others finish; at every event the allocation must satisfy
  // the conditions above, and over each flow's life the integral of its rate must equal its bytes.
  for (std::uint64_t seed = 100; seed < 105; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const int link_count = 12;
    const auto links = random_links(rng, link_count);
    LinkSharing s;
    for (const LinkSpec& l : links)
      s.add_link(l.capacity_bytes_per_s, l.policy);
    std::vector<double> arrivals;
    for (int i = 0; i < 200; ++i)
      arrivals.push_back(rng.uniform(0, 0.5));
    std::sort(arrivals.begin(), arrivals.end());
    std::map<FlowId, FlowSpec> active;
    std::map<FlowId, double> moved;  // integral of rate dt so far
    double t = 0;
    std::size_t next_arrival = 0;
    std::size_t finished = 0;
    while (next_arrival < arrivals.size() || s.active_flows() > 0) {
      const double completion = s.next_completion_s();
      const double arrival =
          next_arrival < arrivals.size() ? arrivals[next_arrival] : LinkSharing::kInfinity;
      const double t_next = std::min(completion, arrival);
      for (const auto& [id, spec] : active)
        moved[id] += s.rate_bytes_per_s(id) * (t_next - t);
      t = t_next;
      if (completion <= arrival) {
        const auto done = s.finish_due(t);
        ASSERT_FALSE(done.empty());
        for (FlowId f : done) {
          EXPECT_NEAR(moved.at(f), active.at(f).bytes, 1e-9 * active.at(f).bytes);
          active.erase(f);
          moved.erase(f);
          ++finished;
        }
      } else {
        FlowSpec f = random_flow(rng, link_count);
        active.emplace(s.start_flow(t, f.uses, f.bytes, f.bound_bytes_per_s), std::move(f));
        ++next_arrival;
      }
      check_max_min(s, links, active);
      if (HasFailure()) return;
    }
    EXPECT_EQ(finished, arrivals.size());
  }
}

TEST(PropertyLinkSharing, IncrementalAndFullRecomputeAgreeBitForBit) {
  // The incremental solve revisits only the connected component of a change; it must reproduce the
  // full solve exactly (same rates, same finish times, same completion order), not approximately.
  // Sparse random flows (1-2 of 300 links) make many components that merge and split over time;
  // on 60 links one component holds most flows, and the solver falls back to full solves.
  for (std::uint64_t seed = 200; seed < 206; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const int link_count = seed % 2 == 0 ? 300 : 60;
    const auto links = random_links(rng, link_count);
    LinkSharing incremental(LinkSharing::Recompute::incremental);
    LinkSharing full(LinkSharing::Recompute::full);
    for (const LinkSpec& l : links) {
      incremental.add_link(l.capacity_bytes_per_s, l.policy);
      full.add_link(l.capacity_bytes_per_s, l.policy);
    }
    std::vector<FlowId> ids;
    int arrivals = 0;
    while (arrivals < 400 || incremental.active_flows() > 0) {
      const double completion = incremental.next_completion_s();
      ASSERT_EQ(completion, full.next_completion_s());
      const bool arrive = arrivals < 400 && rng.uniform01() < 0.6;
      if (arrive) {
        const double t = std::min(completion, incremental.now_s() + rng.uniform(0, 0.01));
        FlowSpec f = random_flow(rng, link_count);
        f.uses.resize(std::min<std::size_t>(f.uses.size(), 2));
        const FlowId a = incremental.start_flow(t, f.uses, f.bytes, f.bound_bytes_per_s);
        const FlowId b = full.start_flow(t, f.uses, f.bytes, f.bound_bytes_per_s);
        ASSERT_EQ(a, b);
        ids.push_back(a);
        ++arrivals;
      } else if (std::isfinite(completion)) {
        ASSERT_EQ(incremental.finish_due(completion), full.finish_due(completion));
      }
      for (FlowId id : ids) {
        if (!full.active(id)) continue;
        ASSERT_EQ(incremental.rate_bytes_per_s(id), full.rate_bytes_per_s(id));
        ASSERT_EQ(incremental.remaining_bytes(id), full.remaining_bytes(id));
      }
    }
    // The incremental solver really did less work on the sparse fabric.
    if (link_count == 300) {
      EXPECT_LT(incremental.solved_flows(), full.solved_flows() / 2);
    }
  }
}

}  // namespace
}  // namespace ptsim
