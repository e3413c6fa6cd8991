// Collectives simulated as flows on the topology (sim/network/collective_flows.h run by
// sim/simulator.h) against the alpha-beta closed forms of Thakur, Rabenseifner & Gropp,
// "Optimization of Collective Communication Operations in MPICH" (IJHPCA 2005), with the size
// convention of nccl-tests (doc/PERFORMANCE.md; shared/validation/formulas.md section 5):
//   ring all-reduce             2(n-1)/n S/B + 2(n-1) alpha
//   ring all-gather / reduce-scatter (n-1)/n S/B + (n-1) alpha   (S = the gathered buffer)
//   hierarchical all-reduce     reduce-scatter in the domain + all-reduce of S/g across domains on
//                               each rail + all-gather in the domain, each term of the forms above
//   pairwise all-to-all         (n-1) alpha + the bytes a rank sends over its bottleneck link
// B is the bottleneck bandwidth the cost model defines (cost_models/collective_cost.h): the NVLink
// bandwidth inside a domain; across domains min(B_nvlink, g B_nic), g ranks per domain, because
// NCCL runs one ring channel per NIC. alpha is the profile's step latency of the link class the
// step crosses. The profiles here have flat bus-bandwidth efficiency 1.0 and zero base latency
// unless a test says otherwise, so the closed forms are exact: the tolerance, 1e-9 relative, only
// covers floating-point rounding of the flow arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <numeric>
#include <string>
#include <vector>

#include "cost_models/collective_cost.h"
#include "sim/network/collective_flows.h"
#include "sim/simulator.h"
#include "tests/simulator/sim_fixtures.h"

namespace ptsim {
namespace {

using testing::build_topology;
using testing::FabricSpec;
using testing::ideal_cluster;

constexpr double kBytes = 256.0 * 1024 * 1024;  // 256 MiB, a typical gradient bucket or larger
constexpr double kRelTol = 1e-9;

std::vector<int> iota_ranks(int first, int count) {
  std::vector<int> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

// Every member issues one collective on one group; returns the simulated step time.
double simulate_collective(const ClusterProfile& cluster, int gpus, CollectiveKind kind,
                           const std::vector<int>& members, double bytes, DomainDedup dedup = {}) {
  const Topology topology = build_topology(cluster, gpus);
  Graph g(gpus);
  for (int m : members)
    g.add_rank(m, 1, "member");
  const std::uint8_t stream = g.add_stream("comm");
  Group group;
  group.dimension = Category::dp;
  group.ranks = members;
  const GroupId gid = g.add_group(group);
  const std::uint32_t label = g.intern_label("collective");
  for (GraphRank r = 0; r < g.rank_count(); ++r)
    g.add_collective(r, stream, Category::dp, kind, gid, bytes, OpLabel{label}, {}, dedup);
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  return sim.step_time_s;
}

CollectiveAlgorithm chosen_algorithm(const ClusterProfile& cluster, int gpus, CollectiveKind kind,
                                     const std::vector<int>& members, double bytes) {
  const Topology topology = build_topology(cluster, gpus);
  const CollectiveCostModel cost(cluster);
  const CollectiveFlows flows(topology, cost);
  return flows.plan(kind, members, {}, bytes).algorithm;
}

TEST(UnitCollectiveFlows, RingAllReduceInOneNvlinkDomainIsThakursClosedForm) {
  // 2(n-1)/n S/B + 2(n-1) alpha with B = NVLink bandwidth per direction, alpha = NVLink step.
  FabricSpec f;
  f.nvlink_step_latency_s = 1.5e-6;
  f.network_step_latency_s = 1.5e-6;
  const ClusterProfile cluster = ideal_cluster(f);
  for (int n : {2, 4, 8}) {
    ASSERT_EQ(chosen_algorithm(cluster, 8, CollectiveKind::all_reduce, iota_ranks(0, n), kBytes),
              CollectiveAlgorithm::ring);
    const double t =
        simulate_collective(cluster, 8, CollectiveKind::all_reduce, iota_ranks(0, n), kBytes);
    const double expected =
        2.0 * (n - 1) / n * kBytes / f.nvlink_bytes_per_s + 2.0 * (n - 1) * f.nvlink_step_latency_s;
    EXPECT_NEAR(t, expected, kRelTol * expected) << "n=" << n;
  }
}

TEST(UnitCollectiveFlows, BaseLatencyIsPaidOncePerCollective) {
  // NCCL's tuning model (cost_models/collective_cost.h): time = base + steps x step + bytes / bw.
  FabricSpec f;
  f.nvlink_step_latency_s = 1e-6;
  f.nvlink_base_latency_s = 7e-6;
  const ClusterProfile cluster = ideal_cluster(f);
  const int n = 8;
  const double t =
      simulate_collective(cluster, 8, CollectiveKind::all_reduce, iota_ranks(0, n), kBytes);
  const double expected = f.nvlink_base_latency_s + 2.0 * (n - 1) * f.nvlink_step_latency_s +
                          2.0 * (n - 1) / n * kBytes / f.nvlink_bytes_per_s;
  EXPECT_NEAR(t, expected, kRelTol * expected);
}

TEST(UnitCollectiveFlows, RingAllReduceAcrossNodesUsesTheBottleneckOfNvlinkAndRails) {
  // Across d domains of g ranks: 2(n-1)/n S / min(B_nvlink, g B_nic); of the 2(n-1) steps,
  // 2(d-1) cross the fabric at the network step latency and the rest stay on NVLink.
  // Across domains the tree algorithm has the ring's bandwidth and never more latency, and NCCL's
  // chooser keeps the ring only on a tie; NVLink steps are free here so that ring and tree tie
  // (2 network steps each at d = 2) and the ring runs.
  for (double nic : {50e9, 100e9}) {  // the rails, then NVLink, as the bottleneck
    FabricSpec f;
    f.nic_bytes_per_s = nic;
    f.network_step_latency_s = 4e-6;
    const ClusterProfile cluster = ideal_cluster(f);
    const int n = 16;
    const int g = 8;
    const int d = 2;
    const std::vector<int> members = iota_ranks(0, n);
    ASSERT_EQ(chosen_algorithm(cluster, n, CollectiveKind::all_reduce, members, kBytes),
              CollectiveAlgorithm::ring)
        << "nic=" << nic;
    const double b = std::min(f.nvlink_bytes_per_s, g * nic);
    const double expected =
        2.0 * (n - 1) / n * kBytes / b + 2.0 * (d - 1) * f.network_step_latency_s;
    const double t = simulate_collective(cluster, n, CollectiveKind::all_reduce, members, kBytes);
    EXPECT_NEAR(t, expected, kRelTol * expected) << "nic=" << nic;
  }
}

TEST(UnitCollectiveFlows, AllGatherAndReduceScatterAreHalfARingAllReduce) {
  // (n-1)/n S/B + (n-1) alpha, in one domain (B = NVLink) and across two nodes
  // (B = min(B_nvlink, g B_nic)); one alpha for both link classes so every step costs the same.
  FabricSpec f;
  f.nvlink_step_latency_s = 2e-6;
  f.network_step_latency_s = 2e-6;
  const ClusterProfile cluster = ideal_cluster(f);
  for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter}) {
    for (int n : {4, 8, 16}) {
      const int gpus = n <= 8 ? 8 : n;
      const double b =
          n <= 8 ? f.nvlink_bytes_per_s : std::min(f.nvlink_bytes_per_s, 8 * f.nic_bytes_per_s);
      const double expected =
          static_cast<double>(n - 1) / n * kBytes / b + (n - 1) * f.nvlink_step_latency_s;
      const double t = simulate_collective(cluster, gpus, kind, iota_ranks(0, n), kBytes);
      EXPECT_NEAR(t, expected, kRelTol * expected) << collective_kind_name(kind) << " n=" << n;
    }
  }
}

// Hierarchical all-reduce of S over d domains of g ranks: reduce-scatter in each domain
// ((g-1)/g S / B_nvlink + (g-1) alpha_nvlink), all-reduce of S/g across domains on each rail
// (2(d-1)/d (S/g) / B_nic + 2(d-1) alpha_net), all-gather in each domain (as the reduce-scatter).
// Each phase is Thakur's ring form (2D/hierarchical decomposition as in ASTRA-sim's
// multi-dimensional collectives; NCCL's NVLSTree is its NVLS form). The three phases are three
// collective launches, each paying its fabric's base latency.
double hierarchical_closed_form(const FabricSpec& f, int d, int g, double bytes) {
  const double intra = static_cast<double>(g - 1) / g * bytes / f.nvlink_bytes_per_s +
                       (g - 1) * f.nvlink_step_latency_s;
  const double inter = 2.0 * (d - 1) / d * (bytes / g) / f.nic_bytes_per_s +
                       2.0 * (d - 1) * f.network_step_latency_s;
  return 2.0 * f.nvlink_base_latency_s + intra + f.network_base_latency_s + inter + intra;
}

TEST(UnitCollectiveFlows, HierarchicalAllReduceIsReduceScatterAllReduceAllGather) {
  struct Case {
    int d, g;
    double nvlink;
    std::vector<int> members;
  };
  // Two ranks on each of two nodes (a DP group of a tp=4 layout), and whole nodes with an NVLink
  // fast enough that the hierarchical algorithm beats the flat ring.
  std::vector<Case> cases = {{2, 2, 450e9, {0, 1, 8, 9}},
                             {2, 8, 2000e9, iota_ranks(0, 16)},
                             {4, 8, 2000e9, iota_ranks(0, 32)}};
  for (const Case& c : cases) {
    FabricSpec f;
    f.nvlink_bytes_per_s = c.nvlink;
    f.nvlink_step_latency_s = 0.5e-6;
    f.network_step_latency_s = 3e-6;
    f.nvlink_base_latency_s = 2e-6;
    f.network_base_latency_s = 5e-6;
    const ClusterProfile cluster = ideal_cluster(f);
    const int gpus = 8 * c.d;
    ASSERT_EQ(chosen_algorithm(cluster, gpus, CollectiveKind::all_reduce, c.members, kBytes),
              CollectiveAlgorithm::hierarchical)
        << "d=" << c.d << " g=" << c.g;
    const double expected = hierarchical_closed_form(f, c.d, c.g, kBytes);
    const double t =
        simulate_collective(cluster, gpus, CollectiveKind::all_reduce, c.members, kBytes);
    EXPECT_NEAR(t, expected, kRelTol * expected) << "d=" << c.d << " g=" << c.g;
  }
}

TEST(UnitCollectiveFlows, PairwiseAllToAllInOneDomainSendsNMinusOneNthsOfSOverNvlink) {
  // Pairwise exchange (Thakur et al. 2005, all-to-all for long messages): n-1 steps of alpha; each
  // rank sends S/n to each of the n-1 others, all of it through its one NVLink port:
  // (n-1) alpha + (n-1)/n S / B_nvlink.
  FabricSpec f;
  f.nvlink_step_latency_s = 1e-6;
  const ClusterProfile cluster = ideal_cluster(f);
  for (int n : {2, 4, 8}) {
    const double expected = static_cast<double>(n - 1) / n * kBytes / f.nvlink_bytes_per_s +
                            (n - 1) * f.nvlink_step_latency_s;
    const double t =
        simulate_collective(cluster, 8, CollectiveKind::all_to_all, iota_ranks(0, n), kBytes);
    EXPECT_NEAR(t, expected, kRelTol * expected) << "n=" << n;
  }
}

TEST(UnitCollectiveFlows, PairwiseAllToAllAcrossNodesIsBoundByTheRails) {
  // Across d nodes of g GPUs, (n-g)/n of S leaves each GPU's node. With PXN the data for a
  // destination on rail j leaves through the node's NIC j, so every NIC carries (n-g)/n S: time
  // (n-g)/n S / B_nic + (n-1) alpha_net while NVLink (which also carries the PXN hops) is not the
  // bottleneck. Here NVLink would need (2g-2)/n S / B_nvlink = 1.9e-12 S/B against 1e-11 S on NICs.
  FabricSpec f;
  f.network_step_latency_s = 3e-6;
  const ClusterProfile cluster = ideal_cluster(f);
  const int n = 16;
  const int g = 8;
  const double expected = static_cast<double>(n - g) / n * kBytes / f.nic_bytes_per_s +
                          (n - 1) * f.network_step_latency_s;
  const double t =
      simulate_collective(cluster, n, CollectiveKind::all_to_all, iota_ranks(0, n), kBytes);
  EXPECT_NEAR(t, expected, kRelTol * expected);
}

// C(n, k) as a double, from log-gamma (an independent route to the binomial ratio).
double binomial(double n, double k) {
  return std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1));
}

TEST(UnitCollectiveFlows, DomainDedupAllToAllSendsAnItemOncePerRemoteNodeHit) {
  // DeepEP-style dispatch over d nodes of g GPUs, items with k copies among E slots (E/(d g) per
  // GPU): each GPU sends an item once to its rail peer in every other node holding one of its
  // slots, with probability p = 1 - C(E - E/d, k) / C(E, k) per node, while every node exchanges
  // pairwise over NVLink what arrives (forwarded as it arrives: DeepSeek-V3 report section 3.2.2,
  // so the two overlap and the slower sets the time). S = bytes each GPU sends (all k copies), so
  // an item is S/k:
  //   max((d-1) p S/k / B_nic, (g-1)/g S / B_nvlink) + (d-1) alpha_net + (g-1) alpha_nvlink.
  // Two fabrics: the network sets the time on the usual one, NVLink on one with slow NVLink.
  const int g = 8;
  struct Case {
    int d, k, slots;
    double nvlink_bytes_per_s;
  };
  for (const Case& c : {Case{2, 2, 16, 450e9}, Case{4, 8, 128, 450e9}, Case{2, 8, 256, 450e9},
                        Case{4, 8, 128, 20e9}, Case{2, 2, 16, 20e9}}) {
    FabricSpec f;
    f.network_step_latency_s = 3e-6;
    f.nvlink_step_latency_s = 1e-6;
    f.nvlink_bytes_per_s = c.nvlink_bytes_per_s;
    const ClusterProfile cluster = ideal_cluster(f);
    const int n = c.d * g;
    const double p = 1 - binomial(c.slots - c.slots / c.d, c.k) / binomial(c.slots, c.k);
    const double inter_s = (c.d - 1) * p * kBytes / c.k / f.nic_bytes_per_s;
    const double intra_s = static_cast<double>(g - 1) / g * kBytes / f.nvlink_bytes_per_s;
    // The cases cover both bottlenecks.
    if (c.nvlink_bytes_per_s < 100e9) {
      EXPECT_GT(intra_s, inter_s);
    } else {
      EXPECT_GT(inter_s, intra_s);
    }
    const double expected = std::max(inter_s, intra_s) + (c.d - 1) * f.network_step_latency_s +
                            (g - 1) * f.nvlink_step_latency_s;
    const double t = simulate_collective(
        cluster, n, CollectiveKind::all_to_all, iota_ranks(0, n), kBytes,
        DomainDedup{static_cast<std::uint32_t>(c.k), static_cast<std::uint32_t>(c.slots)});
    EXPECT_NEAR(t, expected, kRelTol * expected) << "d=" << c.d << " k=" << c.k;
    // Never more on the NICs than the plain all-to-all's (n-g)/n S.
    const double plain =
        simulate_collective(cluster, n, CollectiveKind::all_to_all, iota_ranks(0, n), kBytes);
    EXPECT_LT(t, plain) << "d=" << c.d << " k=" << c.k;
  }
}

// Rank 0 sends `bytes` to each of `peers` at once, each on its own stream.
double simulate_fan_out(const ClusterProfile& cluster, int gpus, const std::vector<int>& peers,
                        double bytes) {
  const Topology topology = build_topology(cluster, gpus);
  Graph g(gpus);
  const GraphRank src = g.add_rank(0, 1, "sender");
  std::vector<std::uint8_t> streams;
  for (std::size_t i = 0; i < peers.size(); ++i)
    streams.push_back(g.add_stream("send" + std::to_string(i)));
  const std::uint32_t label = g.intern_label("p2p");
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const GraphRank dst = g.add_rank(peers[i], 1, "receiver");
    g.add_send(src, streams[i], Category::pp, dst, 7, bytes, OpLabel{label}, {});
    g.add_recv(dst, streams[i], Category::pp, src, 7, bytes, OpLabel{label}, {});
  }
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  EXPECT_TRUE(sim.completed) << sim.stuck;
  return sim.step_time_s;
}

TEST(UnitCollectiveFlows, TwoTransfersSharingANicEachGetHalfItsBandwidth) {
  // Max-min fair sharing (Bertsekas & Gallager, Data Networks, section 6.5.2): two equal flows on
  // one bottleneck link of capacity B each get B/2, so S bytes take 2 S / B instead of S / B.
  // GPU 0 sends to GPU 8 and GPU 16 (same rail on two other nodes): both cross NIC 0's uplink.
  const ClusterProfile cluster = ideal_cluster();
  const double nic = cluster.nic_bandwidth_bytes_per_s;
  const double alone = simulate_fan_out(cluster, 24, {8}, kBytes);
  EXPECT_NEAR(alone, kBytes / nic, kRelTol * alone);
  const double shared = simulate_fan_out(cluster, 24, {8, 16}, kBytes);
  EXPECT_NEAR(shared, 2 * kBytes / nic, kRelTol * shared);
}

// All-reduces of kBytes on {0, 8} (ops 0 and 1, capped at `cap_a` when > 0) and {0, 16} (ops 2
// and 3) at once: both rings leave GPU 0 through NIC 0.
SimulationResult simulate_two_all_reduces_on_nic0(const ClusterProfile& cluster, double cap_a) {
  const Topology topology = build_topology(cluster, 24);
  Graph g(24);
  const GraphRank r0 = g.add_rank(0, 1, "shared");
  const GraphRank r8 = g.add_rank(8, 1, "a");
  const GraphRank r16 = g.add_rank(16, 1, "b");
  const std::uint8_t sa = g.add_stream("a");
  const std::uint8_t sb = g.add_stream("b");
  const GroupId ga = g.add_group(Group{Category::dp, {0, 8}, {}});
  const GroupId gb = g.add_group(Group{Category::dp, {0, 16}, {}});
  const std::uint32_t label = g.intern_label("ar");
  for (auto [rank, stream, group, cap] :
       {std::tuple{r0, sa, ga, cap_a}, std::tuple{r8, sa, ga, cap_a}, std::tuple{r0, sb, gb, 0.0},
        std::tuple{r16, sb, gb, 0.0}}) {
    g.add_collective(rank, stream, Category::dp, CollectiveKind::all_reduce, group, kBytes,
                     OpLabel{label}, {}, {}, cap);
  }
  return simulate_graph(g, cluster, topology);
}

TEST(UnitCollectiveFlows, TwoCollectivesSharingANicEachGetHalfItsBandwidth) {
  // Each runs at B_nic / 2: 2(n-1)/n S / (B_nic/2) with n = 2, against 2(n-1)/n S / B_nic alone.
  const ClusterProfile cluster = ideal_cluster();
  const double nic = cluster.nic_bandwidth_bytes_per_s;
  const SimulationResult sim = simulate_two_all_reduces_on_nic0(cluster, 0.0);
  ASSERT_TRUE(sim.completed) << sim.stuck;
  const double alone = 2.0 * (2 - 1) / 2 * kBytes / nic;
  EXPECT_NEAR(sim.step_time_s, 2 * alone, kRelTol * sim.step_time_s);
  // Both finish together: neither is favoured.
  for (OpId i = 0; i < 4; ++i)
    EXPECT_NEAR(sim.op_end_s[i], 2 * alone, kRelTol * sim.step_time_s) << "op " << i;
}

TEST(UnitCollectiveFlows, ARateCapBoundsTheHopBytesPerSecond) {
  // A software ceiling C on the bytes a rank moves per second (graph.h Collective): a ring
  // all-gather that NVLink would finish in (n-1)/n S / B_nvlink takes (n-1)/n S / C instead.
  const ClusterProfile cluster = ideal_cluster();
  const Topology topology = build_topology(cluster, 8);
  const double cap = 20e9;
  const int n = 8;
  Graph g(n);
  for (int r = 0; r < n; ++r)
    g.add_rank(r, 1, "member");
  const std::uint8_t stream = g.add_stream("comm");
  const GroupId gid = g.add_group(Group{Category::dp, iota_ranks(0, n), {}});
  const std::uint32_t label = g.intern_label("ag");
  for (GraphRank r = 0; r < g.rank_count(); ++r) {
    g.add_collective(r, stream, Category::dp, CollectiveKind::all_gather, gid, kBytes,
                     OpLabel{label}, {}, {}, cap);
  }
  const SimulationResult sim = simulate_graph(g, cluster, topology);
  ASSERT_TRUE(sim.completed) << sim.stuck;
  const double expected = (n - 1.0) / n * kBytes / cap;
  EXPECT_NEAR(sim.step_time_s, expected, kRelTol * expected);
  EXPECT_GT(expected, 10 * (n - 1.0) / n * kBytes / cluster.nvlink_bandwidth_bytes_per_s);
}

TEST(UnitCollectiveFlows, ACappedCollectiveLeavesTheRestOfASharedNicToTheOther) {
  // Max-min fairness with a rate bound: capped at B_nic / 4, the first all-reduce stops there and
  // the other takes 3/4 of the NIC. Both move S per rank (2(n-1)/n S with n = 2).
  const ClusterProfile cluster = ideal_cluster();
  const double nic = cluster.nic_bandwidth_bytes_per_s;
  const SimulationResult sim = simulate_two_all_reduces_on_nic0(cluster, nic / 4);
  ASSERT_TRUE(sim.completed) << sim.stuck;
  for (OpId op : {0u, 1u})
    EXPECT_NEAR(sim.op_end_s[op], kBytes / (0.25 * nic), kRelTol * sim.step_time_s);
  for (OpId op : {2u, 3u})
    EXPECT_NEAR(sim.op_end_s[op], kBytes / (0.75 * nic), kRelTol * sim.step_time_s);
}

TEST(UnitCollectiveFlows, OversubscribedSpineLimitsTransfersBetweenScalableUnits) {
  // A leaf's uplink carries nodes_per_unit x B_nic / oversubscription (sim/network/topology.h).
  // With one node per scalable unit and oversubscription 4, a transfer between units runs at
  // B_nic / 4, one within a unit at B_nic.
  FabricSpec f;
  f.nodes_per_scalable_unit = 1;
  f.oversubscription = 4;
  const ClusterProfile cluster = ideal_cluster(f);
  const double t = simulate_fan_out(cluster, 16, {8}, kBytes);
  EXPECT_NEAR(t, 4 * kBytes / f.nic_bytes_per_s, kRelTol * t);
}

}  // namespace
}  // namespace ptsim
