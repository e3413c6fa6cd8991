// The cluster as a directed graph of links, and the routes NCCL's transports take through it.
//
// Models: GPUs in NVLink domains (one non-blocking NVSwitch vertex per domain: 8 GPUs in a DGX
// node, 72 in an NVL72 rack of 18 nodes of 4), one NIC per GPU, and a rail-optimised two-level fat
// tree: NIC k of every node of a scalable unit (SU) plugs into that unit's leaf switch for rail k,
// and a spine layer joins all leaves (CALIBRATION_NOTES 5.3, DGX SuperPOD reference architectures).
// The spine is aggregated into one core vertex; each leaf's uplinks become one directed link up
// and one down of capacity nodes_per_scalable_unit x nic_bandwidth / oversubscription (the leaf's
// full downlink bandwidth divided by the ratio, also for a partly filled last unit, whose switches
// are the same). Every cable is two directed links (split duplex).
//
// Links, per direction, and where latency is charged (on the link that enters a switch or an end):
//   GPU -> NVSwitch   nvlink  shared    nvlink_bandwidth   nvlink_latency (one GPU-to-GPU hop)
//   NVSwitch -> GPU   nvlink  shared    nvlink_bandwidth   0
//   GPU -> NIC        pcie    fat_pipe  +infinity          nic_latency (sending end)
//   NIC -> GPU        pcie    fat_pipe  +infinity          nic_latency (receiving end)
//   NIC -> leaf       nic     shared    nic_bandwidth      switch_latency
//   leaf -> NIC       nic     shared    nic_bandwidth      0
//   leaf -> core      fabric  shared    leaf uplink        switch_latency
//   core -> leaf      fabric  shared    leaf uplink        switch_latency
// GPU <-> NIC (PCIe Gen5 x16, about 64 GB/s per direction) is faster than the 400 Gb/s NIC it
// feeds, so it is kept in the graph for connectivity but never limits a flow.
//
// Routes (route()): same domain: GPU -> NVSwitch -> GPU. Otherwise rail-aligned with PXN, as NCCL
// does on rail-optimised fabrics (NCCL_PXN_DISABLE=0, NCCL_CROSS_NIC=0): when the ranks sit on
// different rails the data first crosses NVLink to the source node's GPU on the destination's rail,
// then that GPU's NIC -> leaf(unit, rail) [-> core -> leaf(other unit, rail)] -> destination NIC ->
// destination GPU. Routes are computed from node/rail/unit arithmetic in O(path length).
//
// Leaves out: ECMP and hash collisions among spine switches (the aggregated core is an ideal
// spine), adaptive routing, three-level fabrics (DGX B200 SuperPODs past 16 SUs add a core layer),
// storage and in-band networks, NVLink SHARP (nvls; a collective cost-model concern), and PCIe
// topologies without NVLink (a domain must span whole nodes).
// Validated by: tests/network/topology_test.cc (link counts and capacities for a DGX-H100-like
// 512-GPU cluster and an NVL72 cluster, and, for random GPU pairs on small and large clusters, that
// every route is a connected directed path of the Boost graph from source to destination, checked
// against Boost's breadth-first search).
//
// Ids: GPU g is vertex g. Link ids come in blocks (see LinkInfo), so a LinkId is also the index of
// the link in a LinkSharing filled by add_links_to(). Edges of graph() carry no properties (a
// property per edge would cost one heap allocation per link on a 100,000-GPU cluster); link_of(u,
// v) maps an edge back to its LinkId.
#pragma once

#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"
#include "sim/network/link_sharing.h"

namespace ptsim {

enum class LinkClass : std::uint8_t { nvlink, pcie, nic, fabric };
const char* link_class_name(LinkClass link_class);

enum class VertexKind : std::uint8_t { gpu, nic, nvswitch, leaf, core };
const char* vertex_kind_name(VertexKind kind);

// Directed links as edges; vertex descriptors are the vertex numbers used below.
using TopologyGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using TopologyVertex = std::uint32_t;

struct LinkInfo {
  TopologyVertex from = 0;
  TopologyVertex to = 0;
  LinkClass link_class = LinkClass::nvlink;
  SharingPolicy policy = SharingPolicy::shared;
  double capacity_bytes_per_s = 0;
  double latency_s = 0;
};

// The directed links from a source GPU to a destination GPU, and the one-way latency (the sum of
// the links' latencies). At most kMaxLinks links: NVLink to the PXN proxy (2), its NIC to the leaf
// (2), leaf -> core -> leaf (2), leaf to the destination NIC and GPU (2).
class Route {
 public:
  static constexpr std::size_t kMaxLinks = 8;

  std::span<const LinkId> links() const { return {links_.data(), size_}; }
  double latency_s() const { return latency_s_; }
  bool empty() const { return size_ == 0; }

  void push(LinkId link, double latency_s);

 private:
  std::array<LinkId, kMaxLinks> links_{};
  std::size_t size_ = 0;
  double latency_s_ = 0;
};

// Appends the route's links with one weight each, the form LinkSharing::start_flow takes.
void append_link_uses(const Route& route, double weight, std::vector<LinkUse>& uses);

class Topology {
 public:
  // Builds the topology of the first gpu_count GPUs of `cluster`, filled node by node. Bad profile
  // values and GPU counts that are not whole nodes (beyond a single node) are input errors naming
  // the field ("--gpus" for the count).
  static Result<Topology> build(const ClusterProfile& cluster, std::int64_t gpu_count);

  // Move-only: a topology of 100,000 GPUs holds millions of edges; share it by reference. The
  // graph sits behind a pointer because boost::adjacency_list (1.74) has no move constructor, so
  // moving it would copy every edge.
  Topology(Topology&&) = default;
  Topology& operator=(Topology&&) = default;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  int gpu_count() const { return gpus_; }
  int gpus_per_node() const { return rails_; }
  int rail_count() const { return rails_; }
  int node_count() const { return nodes_; }
  int domain_count() const { return domains_; }
  int unit_count() const { return units_; }
  int leaf_count() const { return units_ * rails_; }

  int node_of(int gpu) const;
  int domain_of(int gpu) const;
  int rail_of(int gpu) const;  // local index within its node = its NIC's rail
  int unit_of(int gpu) const;  // scalable unit
  bool same_domain(int a, int b) const { return domain_of(a) == domain_of(b); }
  bool same_node(int a, int b) const { return node_of(a) == node_of(b); }

  Route route(int src_gpu, int dst_gpu) const;  // src == dst gives an empty route

  std::size_t link_count() const { return link_count_; }
  LinkInfo link(LinkId link) const;
  // The LinkId of the directed edge u -> v; a bug (PTSIM_CHECK) if there is none.
  LinkId link_of(TopologyVertex u, TopologyVertex v) const;
  // Adds every link, in id order, to an empty LinkSharing, so that LinkIds coincide.
  void add_links_to(LinkSharing& sharing) const;

  const TopologyGraph& graph() const { return *graph_; }
  std::size_t vertex_count() const { return boost::num_vertices(*graph_); }
  VertexKind vertex_kind(TopologyVertex v) const;
  TopologyVertex gpu_vertex(int gpu) const;
  TopologyVertex nic_vertex(int gpu) const;
  TopologyVertex nvswitch_vertex(int domain) const;
  TopologyVertex leaf_vertex(int unit, int rail) const;
  TopologyVertex core_vertex() const;

  double leaf_uplink_bytes_per_s() const { return uplink_bytes_per_s_; }

 private:
  Topology() = default;

  // First link id of each block; block k holds links of one kind (see link()).
  enum Block : std::uint32_t {
    gpu_to_nvswitch,
    nvswitch_to_gpu,
    gpu_to_nic,
    nic_to_gpu,
    nic_to_leaf,
    leaf_to_nic,
    leaf_to_core,
    core_to_leaf,
    block_count
  };
  LinkId link_id(Block block, int index) const;
  double block_latency_s(Block block) const;
  int leaf_index(int unit, int rail) const { return unit * rails_ + rail; }

  int gpus_ = 0;
  int rails_ = 0;
  int nodes_ = 0;
  int domain_gpus_ = 0;
  int domains_ = 0;
  int nodes_per_unit_ = 0;
  int units_ = 0;
  std::array<std::uint32_t, block_count + 1> block_begin_{};
  std::size_t link_count_ = 0;
  double nvlink_bytes_per_s_ = 0;
  double nic_bytes_per_s_ = 0;
  double uplink_bytes_per_s_ = 0;
  double nvlink_latency_s_ = 0;
  double nic_latency_s_ = 0;
  double switch_latency_s_ = 0;
  std::unique_ptr<TopologyGraph> graph_;
};

}  // namespace ptsim
