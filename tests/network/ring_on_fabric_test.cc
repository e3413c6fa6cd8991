// The engine, the link sharing and the topology together: a ring all-reduce run as flows, step by
// step, on the event engine, against the alpha-beta closed form of Thakur, Rabenseifner & Gropp,
// "Optimization of Collective Communication Operations in MPICH" (IJHPCA 2005), section 4:
// T = 2 (n - 1) (alpha + S / (n B)) for n ranks, S bytes, link bandwidth B and per-step latency
// alpha, when every step's n transfers run on disjoint links. Here alpha is the route latency and
// B the bottleneck of the route, so the same form checks NVLink, rails and oversubscribed spines.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/network/link_sharing.h"
#include "sim/network/topology.h"

namespace ptsim {
namespace {

ClusterProfile fabric(int nodes_per_unit, double oversubscription) {
  ClusterProfile c;
  c.name = "ring-test";
  c.gpus_per_node = 8;
  c.nvlink_domain_gpus = 8;
  c.nvlink_bandwidth_bytes_per_s = 450e9;
  c.nic_bandwidth_bytes_per_s = 50e9;
  c.nodes_per_scalable_unit = nodes_per_unit;
  c.oversubscription = oversubscription;
  c.nvlink_latency_s = 1e-6;
  c.nic_latency_s = 2e-6;
  c.switch_latency_s = 0.5e-6;
  return c;
}

// Runs concurrent ring all-reduces, one per ring (a list of GPUs), each step sending S / n from
// every member to the next after the route's latency; a ring moves to its next step when all its
// transfers have arrived. Returns the time the last ring finishes.
class RingRunner {
 public:
  RingRunner(const Topology& topology, std::vector<std::vector<int>> rings, double bytes)
      : topology_(topology), rings_(std::move(rings)), bytes_(bytes) {
    topology_.add_links_to(sharing_);
    steps_left_.assign(rings_.size(), 0);
    pending_.assign(rings_.size(), 0);
  }

  double run() {
    for (std::size_t r = 0; r < rings_.size(); ++r) {
      steps_left_[r] = 2 * (static_cast<int>(rings_[r].size()) - 1);
      start_step(r);
    }
    engine_.run();
    EXPECT_EQ(sharing_.active_flows(), 0u);
    return finish_s_;
  }

 private:
  void start_step(std::size_t r) {
    const std::vector<int>& ring = rings_[r];
    const double chunk = bytes_ / static_cast<double>(ring.size());
    pending_[r] = static_cast<int>(ring.size());
    for (std::size_t i = 0; i < ring.size(); ++i) {
      const Route route = topology_.route(ring[i], ring[(i + 1) % ring.size()]);
      engine_.schedule_after(route.latency_s(), [this, r, route, chunk] {
        std::vector<LinkUse> uses;
        append_link_uses(route, 1.0, uses);
        const FlowId id = sharing_.start_flow(engine_.now_s(), uses, chunk);
        if (ring_of_flow_.size() <= id.index) ring_of_flow_.resize(id.index + 1);
        ring_of_flow_[id.index] = r;
        wake_at(sharing_.next_completion_s());
      });
    }
  }

  // One wake-up event per distinct next-completion time; stale ones find nothing due.
  void wake_at(double time_s) {
    if (!std::isfinite(time_s) || time_s == scheduled_wake_s_) return;
    scheduled_wake_s_ = time_s;
    engine_.schedule_at(time_s, [this] {
      for (const FlowId done : sharing_.finish_due(engine_.now_s())) {
        const std::size_t r = ring_of_flow_[done.index];
        if (--pending_[r] > 0) continue;
        if (--steps_left_[r] > 0) {
          start_step(r);
        } else {
          finish_s_ = std::max(finish_s_, engine_.now_s());
        }
      }
      wake_at(sharing_.next_completion_s());
    });
  }

  const Topology& topology_;
  std::vector<std::vector<int>> rings_;
  double bytes_;
  Engine engine_;
  LinkSharing sharing_;
  std::vector<int> steps_left_;
  std::vector<int> pending_;
  std::vector<std::size_t> ring_of_flow_;
  double scheduled_wake_s_ = -1;
  double finish_s_ = 0;
};

constexpr double kBytes = 1e9;

TEST(ValidationRingOnFabric, RingInsideOneNodeMatchesThakurOnNvlink) {
  // n = 8 on NVLink: alpha = 1 us, B = 450 GB/s, T = 14 (1 us + 125 MB / 450 GB/s).
  const Topology t = Topology::build(fabric(32, 1.0), 8).value();
  const double t_s = RingRunner(t, {{0, 1, 2, 3, 4, 5, 6, 7}}, kBytes).run();
  const double expected = 2 * 7 * (1e-6 + kBytes / 8 / 450e9);
  EXPECT_NEAR(t_s, expected, expected * 1e-12);
}

TEST(ValidationRingOnFabric, EightRailRingsAcrossNodesRunInParallelAtNicSpeed) {
  // 4 nodes in one unit, one ring per rail (GPU k of every node): n = 4 on disjoint NICs, alpha =
  // 2 NIC ends + 1 leaf = 4.5 us, B = 50 GB/s: T = 6 (4.5 us + 250 MB / 50 GB/s) for all 8 rings.
  const Topology t = Topology::build(fabric(32, 1.0), 32).value();
  std::vector<std::vector<int>> rings;
  for (int rail = 0; rail < 8; ++rail)
    rings.push_back({rail, 8 + rail, 16 + rail, 24 + rail});
  const double t_s = RingRunner(t, rings, kBytes).run();
  const double expected = 2 * 3 * (4.5e-6 + kBytes / 4 / 50e9);
  EXPECT_NEAR(t_s, expected, expected * 1e-12);
}

TEST(ValidationRingOnFabric, OversubscribedSpineSlowsTheRingStepsThatCrossUnits) {
  // Units of 2 nodes: the rail-0 ring 0 -> 8 -> 16 -> 24 crosses units on 8 -> 16 and 24 -> 0,
  // each alone on its uplink of 2 x 50 GB/s / 4 = 25 GB/s, with alpha = 2 x 2 us + 3 x 0.5 us =
  // 5.5 us. Steps end with the slowest transfer: T = 6 (5.5 us + 250 MB / 25 GB/s).
  // Non-blocking (ratio 1, uplink 100 GB/s): the NICs bound again, T = 6 (5.5 us + 250 MB / 50
  // GB/s).
  const std::vector<std::vector<int>> ring = {{0, 8, 16, 24}};
  const Topology slow = Topology::build(fabric(2, 4.0), 32).value();
  const double slow_expected = 2 * 3 * (5.5e-6 + kBytes / 4 / 25e9);
  const double slow_s = RingRunner(slow, ring, kBytes).run();
  EXPECT_NEAR(slow_s, slow_expected, slow_expected * 1e-12);
  const Topology fast = Topology::build(fabric(2, 1.0), 32).value();
  const double fast_expected = 2 * 3 * (5.5e-6 + kBytes / 4 / 50e9);
  const double fast_s = RingRunner(fast, ring, kBytes).run();
  EXPECT_NEAR(fast_s, fast_expected, fast_expected * 1e-12);
}

}  // namespace
}  // namespace ptsim
