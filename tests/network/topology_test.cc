// Cluster topology and routing: structure counted by hand, routes checked against the Boost graph
// with breadth-first search, and a few flow-level closed forms on the built fabric.
#include "sim/network/topology.h"

#include <gtest/gtest.h>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "common/rng.h"
#include "sim/network/link_sharing.h"

namespace ptsim {
namespace {

// A DGX H100 SuperPOD-like cluster (CALIBRATION_NOTES 5.2-5.3): 8 GPUs per node on NVSwitch at
// 450 GB/s per direction, one 400 Gb/s NIC (50 GB/s) per GPU, scalable units of 32 nodes.
// Latencies are round test values, not measurements.
ClusterProfile dgx_h100_like() {
  ClusterProfile c;
  c.name = "dgx-h100-test";
  c.gpus_per_node = 8;
  c.nvlink_domain_gpus = 8;
  c.nvlink_bandwidth_bytes_per_s = 450e9;
  c.nic_bandwidth_bytes_per_s = 50e9;
  c.nodes_per_scalable_unit = 32;
  c.oversubscription = 1.0;
  c.nvlink_latency_s = 1e-6;
  c.nic_latency_s = 2e-6;
  c.switch_latency_s = 0.5e-6;
  return c;
}

// GB200 NVL72-like: racks of 18 nodes of 4 GPUs share one NVLink domain of 72 GPUs; a scalable
// unit is 8 racks = 144 nodes = 576 GPUs (CALIBRATION_NOTES 5.3, DGX GB200 SuperPOD).
ClusterProfile nvl72_like() {
  ClusterProfile c = dgx_h100_like();
  c.name = "nvl72-test";
  c.gpus_per_node = 4;
  c.nvlink_domain_gpus = 72;
  c.nvlink_bandwidth_bytes_per_s = 900e9;
  c.nodes_per_scalable_unit = 144;
  return c;
}

Topology build_or_die(const ClusterProfile& c, std::int64_t gpus) {
  auto t = Topology::build(c, gpus);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().one_line());
  return std::move(t).value();
}

TEST(UnitTopology, Dgx512GpusHas64Nodes2Units16LeavesAndTheRightLinks) {
  // 512 / 8 = 64 nodes; 64 / 32 = 2 units; 8 rails x 2 units = 16 leaves (the 2-SU DGX H100
  // SuperPOD row lists 16 leaf switches). Vertices: 512 GPUs + 512 NICs + 64 NVSwitches + 16 leaves
  // + 1 core = 1105. Links: 6 per GPU (NVLink up/down, PCIe up/down, NIC up/down) + 2 per leaf =
  // 6 x 512 + 2 x 16 = 3104.
  const Topology t = build_or_die(dgx_h100_like(), 512);
  EXPECT_EQ(t.node_count(), 64);
  EXPECT_EQ(t.domain_count(), 64);
  EXPECT_EQ(t.unit_count(), 2);
  EXPECT_EQ(t.leaf_count(), 16);
  EXPECT_EQ(t.vertex_count(), 1105u);
  EXPECT_EQ(t.link_count(), 3104u);
  EXPECT_EQ(boost::num_edges(t.graph()), 3104u);

  const TopologyGraph& g = t.graph();
  EXPECT_EQ(boost::out_degree(t.gpu_vertex(0), g), 2u);       // NVSwitch, NIC
  EXPECT_EQ(boost::out_degree(t.nic_vertex(0), g), 2u);       // GPU, leaf
  EXPECT_EQ(boost::out_degree(t.nvswitch_vertex(3), g), 8u);  // its 8 GPUs
  EXPECT_EQ(boost::out_degree(t.leaf_vertex(1, 5), g), 33u);  // 32 NICs + core
  EXPECT_EQ(boost::out_degree(t.core_vertex(), g), 16u);      // every leaf

  // Capacities by class: each leaf uplink aggregates its 32 downlinks, 32 x 50 GB/s = 1.6 TB/s.
  std::map<LinkClass, int> count;
  std::map<LinkClass, double> capacity;
  for (std::uint32_t id = 0; id < t.link_count(); ++id) {
    const LinkInfo info = t.link(LinkId{id});
    ++count[info.link_class];
    if (std::isfinite(info.capacity_bytes_per_s))
      capacity[info.link_class] += info.capacity_bytes_per_s;
    EXPECT_EQ(t.link_of(info.from, info.to), LinkId{id});
    EXPECT_TRUE(boost::edge(info.from, info.to, g).second);
  }
  EXPECT_EQ(count[LinkClass::nvlink], 1024);
  EXPECT_EQ(count[LinkClass::pcie], 1024);
  EXPECT_EQ(count[LinkClass::nic], 1024);
  EXPECT_EQ(count[LinkClass::fabric], 32);
  EXPECT_DOUBLE_EQ(capacity[LinkClass::nvlink], 1024 * 450e9);
  EXPECT_DOUBLE_EQ(capacity[LinkClass::nic], 1024 * 50e9);
  EXPECT_DOUBLE_EQ(capacity[LinkClass::fabric], 32 * 1.6e12);
  EXPECT_DOUBLE_EQ(t.leaf_uplink_bytes_per_s(), 1.6e12);
}

TEST(UnitTopology, OversubscriptionDividesTheLeafUplinks) {
  // 2:1 leaves: 32 x 50 GB/s / 2 = 800 GB/s up and down.
  ClusterProfile c = dgx_h100_like();
  c.oversubscription = 2.0;
  const Topology t = build_or_die(c, 512);
  EXPECT_DOUBLE_EQ(t.leaf_uplink_bytes_per_s(), 800e9);
  const Route r = t.route(0, 256);  // node 0 (unit 0) to node 32 (unit 1), both rail 0
  ASSERT_EQ(r.links().size(), 6u);
  EXPECT_DOUBLE_EQ(t.link(r.links()[2]).capacity_bytes_per_s, 800e9);
  EXPECT_EQ(t.link(r.links()[2]).link_class, LinkClass::fabric);
}

TEST(UnitTopology, PlacementArithmeticFollowsNodesRailsDomainsAndUnits) {
  const Topology t = build_or_die(nvl72_like(), 1152);
  // GPU 77: node 77 / 4 = 19, rail 77 % 4 = 1, domain 77 / 72 = 1, unit 19 / 144 = 0.
  EXPECT_EQ(t.node_of(77), 19);
  EXPECT_EQ(t.rail_of(77), 1);
  EXPECT_EQ(t.domain_of(77), 1);
  EXPECT_EQ(t.unit_of(77), 0);
  EXPECT_EQ(t.unit_of(576), 1);  // node 144 starts the second unit
  EXPECT_TRUE(t.same_domain(0, 71));
  EXPECT_FALSE(t.same_domain(71, 72));
  EXPECT_EQ(t.node_count(), 288);
  EXPECT_EQ(t.domain_count(), 16);
  EXPECT_EQ(t.leaf_count(), 8);
}

TEST(UnitTopology, RoutesTakeNvlinkInsideADomainAndRailsWithPxnOutside) {
  const ClusterProfile c = dgx_h100_like();
  const Topology t = build_or_die(c, 512);
  const auto kinds = [&](const Route& r) {
    std::vector<LinkClass> out;
    for (LinkId l : r.links())
      out.push_back(t.link(l).link_class);
    return out;
  };
  using enum LinkClass;
  // Same node: GPU -> NVSwitch -> GPU, one NVLink hop of latency.
  const Route local = t.route(3, 6);
  EXPECT_EQ(kinds(local), (std::vector<LinkClass>{nvlink, nvlink}));
  EXPECT_DOUBLE_EQ(local.latency_s(), c.nvlink_latency_s);
  // Same rail, same unit (node 0 -> node 1, rail 2): GPU -> NIC -> leaf -> NIC -> GPU.
  const Route rail = t.route(2, 10);
  EXPECT_EQ(kinds(rail), (std::vector<LinkClass>{pcie, nic, nic, pcie}));
  EXPECT_DOUBLE_EQ(rail.latency_s(), 2 * c.nic_latency_s + c.switch_latency_s);
  EXPECT_EQ(t.link(rail.links()[1]).to, t.leaf_vertex(0, 2));
  // Different rails (GPU 1 -> GPU 13, rail 5): NVLink to GPU 5 of node 0 first (PXN).
  const Route pxn = t.route(1, 13);
  EXPECT_EQ(kinds(pxn), (std::vector<LinkClass>{nvlink, nvlink, pcie, nic, nic, pcie}));
  EXPECT_EQ(t.link(pxn.links()[1]).to, t.gpu_vertex(5));
  EXPECT_EQ(t.link(pxn.links()[3]).to, t.leaf_vertex(0, 5));
  EXPECT_DOUBLE_EQ(pxn.latency_s(), c.nvlink_latency_s + 2 * c.nic_latency_s + c.switch_latency_s);
  // Across units and rails (GPU 0 -> GPU 263 = node 32 rail 7): PXN then leaf -> core -> leaf.
  const Route far = t.route(0, 263);
  EXPECT_EQ(kinds(far),
            (std::vector<LinkClass>{nvlink, nvlink, pcie, nic, fabric, fabric, nic, pcie}));
  EXPECT_EQ(far.links().size(), Route::kMaxLinks);
  EXPECT_EQ(t.link(far.links()[4]).from, t.leaf_vertex(0, 7));
  EXPECT_EQ(t.link(far.links()[5]).to, t.leaf_vertex(1, 7));
  EXPECT_DOUBLE_EQ(far.latency_s(),
                   c.nvlink_latency_s + 2 * c.nic_latency_s + 3 * c.switch_latency_s);
  EXPECT_TRUE(t.route(9, 9).empty());
}

// BFS hop distances from one vertex, with Boost's breadth_first_search.
std::vector<int> bfs_distances(const TopologyGraph& g, TopologyVertex from) {
  std::vector<int> distance(boost::num_vertices(g), -1);
  distance[from] = 0;
  boost::breadth_first_search(g, from,
                              boost::visitor(boost::make_bfs_visitor(boost::record_distances(
                                  distance.data(), boost::on_tree_edge()))));
  return distance;
}

// For random pairs: the route is a connected directed path of the Boost graph from the source GPU
// to the destination GPU, never shorter than the BFS distance, and exactly as short when the pair
// shares a domain or a rail (no PXN detour). Its latency is the sum of its links' latencies.
void check_random_routes(const Topology& t, int pairs, std::uint64_t seed) {
  Rng rng(seed);
  const TopologyGraph& g = t.graph();
  for (int p = 0; p < pairs; ++p) {
    const int src = static_cast<int>(rng.uniform_int(0, t.gpu_count() - 1));
    // Half the pairs near the source (same domain or unit), half anywhere.
    const int dst =
        rng.uniform01() < 0.5
            ? static_cast<int>(rng.uniform_int(0, t.gpu_count() - 1))
            : std::min(t.gpu_count() - 1, src + static_cast<int>(rng.uniform_int(1, 300)));
    if (src == dst) continue;
    const Route r = t.route(src, dst);
    ASSERT_FALSE(r.empty());
    TopologyVertex at = t.gpu_vertex(src);
    double latency_s = 0;
    for (LinkId id : r.links()) {
      const LinkInfo info = t.link(id);
      ASSERT_EQ(info.from, at) << "route " << src << " -> " << dst << " breaks at link "
                               << id.value;
      ASSERT_TRUE(boost::edge(info.from, info.to, g).second);
      latency_s += info.latency_s;
      at = info.to;
    }
    ASSERT_EQ(at, t.gpu_vertex(dst));
    EXPECT_DOUBLE_EQ(r.latency_s(), latency_s);
    const std::vector<int> distance = bfs_distances(g, t.gpu_vertex(src));
    const int hops = static_cast<int>(r.links().size());
    ASSERT_GE(distance[t.gpu_vertex(dst)], 2);
    EXPECT_GE(hops, distance[t.gpu_vertex(dst)]);
    if (t.same_domain(src, dst) || t.rail_of(src) == t.rail_of(dst)) {
      EXPECT_EQ(hops, distance[t.gpu_vertex(dst)]) << src << " -> " << dst;
    }
  }
}

TEST(UnitTopology, RandomRoutesAreConnectedPathsOfTheBoostGraphOnSmallClusters) {
  check_random_routes(build_or_die(dgx_h100_like(), 512), 300, 1);
  check_random_routes(build_or_die(nvl72_like(), 1152), 300, 2);
  check_random_routes(build_or_die(dgx_h100_like(), 8), 50, 3);
  check_random_routes(build_or_die(dgx_h100_like(), 4), 20, 4);  // a partial single node
}

TEST(UnitTopology, RandomRoutesAreConnectedPathsOfTheBoostGraphOnLargeClusters) {
  // 16,384 GPUs = 2048 nodes = 64 units; 100,000 GPUs = 12,500 nodes, a partial 391st unit.
  check_random_routes(build_or_die(dgx_h100_like(), 16384), 40, 5);
  const Topology big = build_or_die(dgx_h100_like(), 100000);
  EXPECT_EQ(big.unit_count(), 391);
  EXPECT_EQ(big.leaf_count(), 391 * 8);
  check_random_routes(big, 20, 6);
}

TEST(UnitTopology, LinkSharingFilledFromTheTopologyHasTheSameIds) {
  const Topology t = build_or_die(nvl72_like(), 576);
  LinkSharing s;
  t.add_links_to(s);
  ASSERT_EQ(s.link_count(), t.link_count());
  for (std::uint32_t id = 0; id < t.link_count(); id += 37) {
    EXPECT_EQ(s.capacity_bytes_per_s(LinkId{id}), t.link(LinkId{id}).capacity_bytes_per_s);
    EXPECT_EQ(s.policy(LinkId{id}), t.link(LinkId{id}).policy);
  }
}

// Runs one flow of `bytes` per (src, dst) pair from t = 0 and returns the last finish time.
double transfer_time_s(const Topology& t, const std::vector<std::pair<int, int>>& pairs,
                       double bytes) {
  LinkSharing s;
  t.add_links_to(s);
  std::vector<LinkUse> uses;
  for (const auto& [src, dst] : pairs) {
    uses.clear();
    append_link_uses(t.route(src, dst), 1.0, uses);
    s.start_flow(0, uses, bytes);
  }
  double last = 0;
  while (s.active_flows() > 0) {
    last = s.next_completion_s();
    s.finish_due(last);
  }
  return last;
}

TEST(ValidationTopology, RailAlignedTrafficUsesEveryNicAndCrossRailFunnelsThroughPxn) {
  // Two nodes in one unit, S = 1 GB per flow, NIC 50 GB/s.
  // (a) GPU i -> GPU 8 + i for i = 0..7: eight rails in parallel, each alone on its NIC:
  //     t = S / 50 GB/s = 20 ms.
  // (b) GPU i -> GPU 8 for i = 0..7: every flow leaves through rail 0's NIC (PXN), so the eight
  //     share 50 GB/s and the receiving NIC: t = 8 S / 50 GB/s = 160 ms. The NVLink hop into GPU 0
  //     carries 7 flows x 6.25 GB/s, far under 450 GB/s.
  const Topology t = build_or_die(dgx_h100_like(), 16);
  std::vector<std::pair<int, int>> aligned, funnel;
  for (int i = 0; i < 8; ++i) {
    aligned.emplace_back(i, 8 + i);
    funnel.emplace_back(i, 8);
  }
  EXPECT_NEAR(transfer_time_s(t, aligned, 1e9), 0.02, 0.02 * 1e-12);
  EXPECT_NEAR(transfer_time_s(t, funnel, 1e9), 0.16, 0.16 * 1e-12);
}

TEST(ValidationTopology, OversubscribedUplinksShareAcrossUnits) {
  // 4:1 oversubscription: leaf uplink = 32 x 50 GB/s / 4 = 400 GB/s. The 32 rail-0 GPUs of unit 0
  // each send S = 1 GB to their counterpart in unit 1: 32 flows share 400 GB/s, 12.5 GB/s each
  // (below the 50 GB/s NICs), so t = S / 12.5 GB/s = 80 ms. Non-blocking (1:1) gives S / 50 GB/s.
  ClusterProfile c = dgx_h100_like();
  c.oversubscription = 4.0;
  const Topology t = build_or_die(c, 512);
  std::vector<std::pair<int, int>> pairs;
  for (int node = 0; node < 32; ++node)
    pairs.emplace_back(node * 8, (node + 32) * 8);
  EXPECT_NEAR(transfer_time_s(t, pairs, 1e9), 0.08, 0.08 * 1e-12);
  const Topology full = build_or_die(dgx_h100_like(), 512);
  EXPECT_NEAR(transfer_time_s(full, pairs, 1e9), 0.02, 0.02 * 1e-12);
}

TEST(UnitTopology, BadProfilesAndGpuCountsAreInputErrorsNamingTheField) {
  const auto error_of = [](const ClusterProfile& c, std::int64_t gpus) {
    const auto t = Topology::build(c, gpus);
    return t.ok() ? std::string("ok") : t.error().one_line();
  };
  EXPECT_EQ(error_of(dgx_h100_like(), 12),
            "--gpus: 12 GPUs are not a whole number of nodes of 8 GPUs (cluster 'dgx-h100-test')");
  EXPECT_NE(error_of(dgx_h100_like(), 0).find("--gpus"), std::string::npos);
  ClusterProfile odd_domain = dgx_h100_like();
  odd_domain.nvlink_domain_gpus = 12;
  EXPECT_NE(error_of(odd_domain, 64).find("/nvlink_domain_gpus"), std::string::npos);
  ClusterProfile no_nic = dgx_h100_like();
  no_nic.nic_bandwidth_bytes_per_s = 0;
  EXPECT_EQ(error_of(no_nic, 64),
            "cluster profile 'dgx-h100-test': /nic_bandwidth_bytes_per_s: must be positive and "
            "finite");
  ClusterProfile bad_ratio = dgx_h100_like();
  bad_ratio.oversubscription = -1;
  EXPECT_NE(error_of(bad_ratio, 64).find("/oversubscription"), std::string::npos);
  EXPECT_EQ(error_of(dgx_h100_like(), 4), "ok");  // less than one node is one partial node
}

}  // namespace
}  // namespace ptsim
