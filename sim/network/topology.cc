#include "sim/network/topology.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/check.h"

namespace ptsim {

namespace {

// Largest supported cluster: every vertex and link number fits in 32 bits with room to spare.
constexpr std::int64_t kMaxGpus = std::int64_t{1} << 26;

std::string profile_source(const ClusterProfile& cluster) {
  return "cluster profile '" + cluster.name + "'";
}

void require_positive_int(const ClusterProfile& cluster, int value, const char* field) {
  if (value < 1) {
    throw_input_error(profile_source(cluster), field,
                      "must be at least 1, got " + std::to_string(value));
  }
}

void require_positive(const ClusterProfile& cluster, double value, const char* field) {
  if (!(std::isfinite(value) && value > 0)) {
    throw_input_error(profile_source(cluster), field, "must be positive and finite");
  }
}

void require_non_negative(const ClusterProfile& cluster, double value, const char* field) {
  if (!(std::isfinite(value) && value >= 0)) {
    throw_input_error(profile_source(cluster), field, "must be non-negative and finite");
  }
}

void validate(const ClusterProfile& cluster, std::int64_t gpu_count) {
  require_positive_int(cluster, cluster.gpus_per_node, "/gpus_per_node");
  require_positive_int(cluster, cluster.nvlink_domain_gpus, "/nvlink_domain_gpus");
  if (cluster.nvlink_domain_gpus % cluster.gpus_per_node != 0) {
    throw_input_error(profile_source(cluster), "/nvlink_domain_gpus",
                      "must be a whole number of nodes of gpus_per_node = " +
                          std::to_string(cluster.gpus_per_node) + " GPUs, got " +
                          std::to_string(cluster.nvlink_domain_gpus));
  }
  require_positive_int(cluster, cluster.nodes_per_scalable_unit, "/nodes_per_scalable_unit");
  require_positive(cluster, cluster.nvlink_bandwidth_bytes_per_s, "/nvlink_bandwidth_bytes_per_s");
  require_positive(cluster, cluster.nic_bandwidth_bytes_per_s, "/nic_bandwidth_bytes_per_s");
  require_positive(cluster, cluster.oversubscription, "/oversubscription");
  require_non_negative(cluster, cluster.nvlink_latency_s, "/nvlink_latency_s");
  require_non_negative(cluster, cluster.nic_latency_s, "/nic_latency_s");
  require_non_negative(cluster, cluster.switch_latency_s, "/switch_latency_s");
  if (gpu_count < 1 || gpu_count > kMaxGpus) {
    throw_input_error(
        "--gpus", "",
        "must be between 1 and " + std::to_string(kMaxGpus) + ", got " + std::to_string(gpu_count));
  }
  if (gpu_count > cluster.gpus_per_node && gpu_count % cluster.gpus_per_node != 0) {
    throw_input_error("--gpus", "",
                      std::to_string(gpu_count) + " GPUs are not a whole number of nodes of " +
                          std::to_string(cluster.gpus_per_node) + " GPUs (cluster '" +
                          cluster.name + "')");
  }
}

int ceil_div(std::int64_t a, std::int64_t b) {
  return static_cast<int>((a + b - 1) / b);
}

}  // namespace

const char* link_class_name(LinkClass link_class) {
  switch (link_class) {
    case LinkClass::nvlink:
      return "nvlink";
    case LinkClass::pcie:
      return "pcie";
    case LinkClass::nic:
      return "nic";
    case LinkClass::fabric:
      return "fabric";
  }
  return "?";
}

const char* vertex_kind_name(VertexKind kind) {
  switch (kind) {
    case VertexKind::gpu:
      return "gpu";
    case VertexKind::nic:
      return "nic";
    case VertexKind::nvswitch:
      return "nvswitch";
    case VertexKind::leaf:
      return "leaf";
    case VertexKind::core:
      return "core";
  }
  return "?";
}

void Route::push(LinkId link, double latency_s) {
  PTSIM_CHECK(size_ < kMaxLinks, "route longer than Route::kMaxLinks");
  links_[size_++] = link;
  latency_s_ += latency_s;
}

void append_link_uses(const Route& route, double weight, std::vector<LinkUse>& uses) {
  for (LinkId link : route.links())
    uses.push_back(LinkUse{link, weight});
}

Result<Topology> Topology::build(const ClusterProfile& cluster, std::int64_t gpu_count) {
  return catch_input_errors([&]() -> Topology {
    validate(cluster, gpu_count);
    Topology t;
    t.gpus_ = static_cast<int>(gpu_count);
    t.rails_ = cluster.gpus_per_node;
    t.nodes_ = ceil_div(gpu_count, cluster.gpus_per_node);
    t.domain_gpus_ = cluster.nvlink_domain_gpus;
    t.domains_ = ceil_div(gpu_count, cluster.nvlink_domain_gpus);
    t.nodes_per_unit_ = cluster.nodes_per_scalable_unit;
    t.units_ = ceil_div(t.nodes_, cluster.nodes_per_scalable_unit);
    t.nvlink_bytes_per_s_ = cluster.nvlink_bandwidth_bytes_per_s;
    t.nic_bytes_per_s_ = cluster.nic_bandwidth_bytes_per_s;
    t.uplink_bytes_per_s_ = cluster.nodes_per_scalable_unit * cluster.nic_bandwidth_bytes_per_s /
                            cluster.oversubscription;
    t.nvlink_latency_s_ = cluster.nvlink_latency_s;
    t.nic_latency_s_ = cluster.nic_latency_s;
    t.switch_latency_s_ = cluster.switch_latency_s;

    const std::uint32_t g = static_cast<std::uint32_t>(t.gpus_);
    const std::uint32_t leaves = static_cast<std::uint32_t>(t.leaf_count());
    const std::array<std::uint32_t, block_count> sizes = {g, g, g, g, g, g, leaves, leaves};
    t.block_begin_[0] = 0;
    for (std::size_t b = 0; b < block_count; ++b) {
      t.block_begin_[b + 1] = t.block_begin_[b] + sizes[b];
    }
    t.link_count_ = t.block_begin_[block_count];

    // Vertices: GPUs, NICs, NVSwitches, leaves, core (see the *_vertex() functions). Edges are
    // added in link-id order, so out-edges of every vertex are in increasing link id.
    t.graph_ = std::make_unique<TopologyGraph>(static_cast<std::size_t>(t.core_vertex()) + 1);
    for (std::uint32_t id = 0; id < t.link_count_; ++id) {
      const LinkInfo info = t.link(LinkId{id});
      boost::add_edge(info.from, info.to, *t.graph_);
    }
    return t;
  });
}

int Topology::node_of(int gpu) const {
  PTSIM_CHECK(gpu >= 0 && gpu < gpus_, "GPU index out of range");
  return gpu / rails_;
}

int Topology::domain_of(int gpu) const {
  PTSIM_CHECK(gpu >= 0 && gpu < gpus_, "GPU index out of range");
  return gpu / domain_gpus_;
}

int Topology::rail_of(int gpu) const {
  PTSIM_CHECK(gpu >= 0 && gpu < gpus_, "GPU index out of range");
  return gpu % rails_;
}

int Topology::unit_of(int gpu) const {
  return node_of(gpu) / nodes_per_unit_;
}

TopologyVertex Topology::gpu_vertex(int gpu) const {
  PTSIM_CHECK(gpu >= 0 && gpu < gpus_, "GPU index out of range");
  return static_cast<TopologyVertex>(gpu);
}

TopologyVertex Topology::nic_vertex(int gpu) const {
  return static_cast<TopologyVertex>(gpus_) + gpu_vertex(gpu);
}

TopologyVertex Topology::nvswitch_vertex(int domain) const {
  PTSIM_CHECK(domain >= 0 && domain < domains_, "domain index out of range");
  return static_cast<TopologyVertex>(2 * gpus_ + domain);
}

TopologyVertex Topology::leaf_vertex(int unit, int rail) const {
  PTSIM_CHECK(unit >= 0 && unit < units_ && rail >= 0 && rail < rails_, "leaf out of range");
  return static_cast<TopologyVertex>(2 * gpus_ + domains_ + leaf_index(unit, rail));
}

TopologyVertex Topology::core_vertex() const {
  return static_cast<TopologyVertex>(2 * gpus_ + domains_ + leaf_count());
}

VertexKind Topology::vertex_kind(TopologyVertex v) const {
  PTSIM_CHECK(v <= core_vertex(), "vertex out of range");
  const std::int64_t x = v;
  if (x < gpus_) return VertexKind::gpu;
  if (x < 2 * std::int64_t{gpus_}) return VertexKind::nic;
  if (x < 2 * std::int64_t{gpus_} + domains_) return VertexKind::nvswitch;
  if (v < core_vertex()) return VertexKind::leaf;
  return VertexKind::core;
}

double Topology::block_latency_s(Block block) const {
  switch (block) {
    case gpu_to_nvswitch:
      return nvlink_latency_s_;
    case gpu_to_nic:
    case nic_to_gpu:
      return nic_latency_s_;
    case nic_to_leaf:
    case leaf_to_core:
    case core_to_leaf:
      return switch_latency_s_;
    case nvswitch_to_gpu:
    case leaf_to_nic:
    case block_count:
      break;
  }
  return 0;
}

LinkId Topology::link_id(Block block, int index) const {
  return LinkId{block_begin_[block] + static_cast<std::uint32_t>(index)};
}

LinkInfo Topology::link(LinkId link) const {
  PTSIM_CHECK(link.value < link_count_, "link id out of range");
  std::size_t block = 0;
  while (link.value >= block_begin_[block + 1])
    ++block;
  const int i = static_cast<int>(link.value - block_begin_[block]);
  LinkInfo info;
  switch (static_cast<Block>(block)) {
    case gpu_to_nvswitch:
      info = {gpu_vertex(i), nvswitch_vertex(domain_of(i)), LinkClass::nvlink,
              SharingPolicy::shared, nvlink_bytes_per_s_};
      break;
    case nvswitch_to_gpu:
      info = {nvswitch_vertex(domain_of(i)), gpu_vertex(i), LinkClass::nvlink,
              SharingPolicy::shared, nvlink_bytes_per_s_};
      break;
    case gpu_to_nic:
      info = {gpu_vertex(i), nic_vertex(i), LinkClass::pcie, SharingPolicy::fat_pipe,
              LinkSharing::kInfinity};
      break;
    case nic_to_gpu:
      info = {nic_vertex(i), gpu_vertex(i), LinkClass::pcie, SharingPolicy::fat_pipe,
              LinkSharing::kInfinity};
      break;
    case nic_to_leaf:
      info = {nic_vertex(i), leaf_vertex(unit_of(i), rail_of(i)), LinkClass::nic,
              SharingPolicy::shared, nic_bytes_per_s_};
      break;
    case leaf_to_nic:
      info = {leaf_vertex(unit_of(i), rail_of(i)), nic_vertex(i), LinkClass::nic,
              SharingPolicy::shared, nic_bytes_per_s_};
      break;
    case leaf_to_core:
      info = {leaf_vertex(i / rails_, i % rails_), core_vertex(), LinkClass::fabric,
              SharingPolicy::shared, uplink_bytes_per_s_};
      break;
    case core_to_leaf:
      info = {core_vertex(), leaf_vertex(i / rails_, i % rails_), LinkClass::fabric,
              SharingPolicy::shared, uplink_bytes_per_s_};
      break;
    case block_count:
      PTSIM_CHECK(false, "link block out of range");
  }
  info.latency_s = block_latency_s(static_cast<Block>(block));
  return info;
}

LinkId Topology::link_of(TopologyVertex u, TopologyVertex v) const {
  const VertexKind ku = vertex_kind(u);
  const VertexKind kv = vertex_kind(v);
  const int gu = static_cast<int>(u);
  const int gv = static_cast<int>(v);
  const int leaf_base = 2 * gpus_ + domains_;
  LinkId id{UINT32_MAX};
  if (ku == VertexKind::gpu && kv == VertexKind::nvswitch) {
    if (nvswitch_vertex(domain_of(gu)) == v) id = link_id(gpu_to_nvswitch, gu);
  } else if (ku == VertexKind::nvswitch && kv == VertexKind::gpu) {
    if (nvswitch_vertex(domain_of(gv)) == u) id = link_id(nvswitch_to_gpu, gv);
  } else if (ku == VertexKind::gpu && kv == VertexKind::nic) {
    if (nic_vertex(gu) == v) id = link_id(gpu_to_nic, gu);
  } else if (ku == VertexKind::nic && kv == VertexKind::gpu) {
    if (nic_vertex(gv) == u) id = link_id(nic_to_gpu, gv);
  } else if (ku == VertexKind::nic && kv == VertexKind::leaf) {
    const int gpu = gu - gpus_;
    if (leaf_vertex(unit_of(gpu), rail_of(gpu)) == v) id = link_id(nic_to_leaf, gpu);
  } else if (ku == VertexKind::leaf && kv == VertexKind::nic) {
    const int gpu = gv - gpus_;
    if (leaf_vertex(unit_of(gpu), rail_of(gpu)) == u) id = link_id(leaf_to_nic, gpu);
  } else if (ku == VertexKind::leaf && kv == VertexKind::core) {
    id = link_id(leaf_to_core, gu - leaf_base);
  } else if (ku == VertexKind::core && kv == VertexKind::leaf) {
    id = link_id(core_to_leaf, gv - leaf_base);
  }
  PTSIM_CHECK(id.value != UINT32_MAX, "no link between these vertices");
  return id;
}

void Topology::add_links_to(LinkSharing& sharing) const {
  PTSIM_CHECK(sharing.link_count() == 0, "add_links_to needs an empty LinkSharing");
  for (std::uint32_t id = 0; id < link_count_; ++id) {
    const LinkInfo info = link(LinkId{id});
    sharing.add_link(info.capacity_bytes_per_s, info.policy);
  }
}

Route Topology::route(int src_gpu, int dst_gpu) const {
  Route route;
  const auto hop = [&](Block block, int index) {
    route.push(link_id(block, index), block_latency_s(block));
  };
  PTSIM_CHECK(src_gpu >= 0 && src_gpu < gpus_ && dst_gpu >= 0 && dst_gpu < gpus_,
              "route: GPU index out of range");
  if (src_gpu == dst_gpu) return route;
  if (same_domain(src_gpu, dst_gpu)) {
    hop(gpu_to_nvswitch, src_gpu);
    hop(nvswitch_to_gpu, dst_gpu);
    return route;
  }
  const int rail = rail_of(dst_gpu);
  // PXN: leave the node through its NIC on the destination's rail. Inter-domain traffic only
  // arises with more than one node, and then every node is whole, so that GPU exists.
  const int proxy = node_of(src_gpu) * rails_ + rail;
  if (proxy != src_gpu) {
    hop(gpu_to_nvswitch, src_gpu);
    hop(nvswitch_to_gpu, proxy);
  }
  hop(gpu_to_nic, proxy);
  hop(nic_to_leaf, proxy);
  const int src_unit = unit_of(proxy);
  const int dst_unit = unit_of(dst_gpu);
  if (src_unit != dst_unit) {
    hop(leaf_to_core, leaf_index(src_unit, rail));
    hop(core_to_leaf, leaf_index(dst_unit, rail));
  }
  hop(leaf_to_nic, dst_gpu);
  hop(nic_to_gpu, dst_gpu);
  return route;
}

}  // namespace ptsim
